"""Who may scrape /metrics, and what a scrape costs the database."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import generate_latest

from moderation import service
from moderation.app import create_app
from moderation.config import Settings
from moderation.db import POOL
from moderation.metrics import Metrics
from tests.conftest import UNLIMITED, comment_payload, make_settings

TOKEN = "metrics-token-ماء-0123456789"


def outward_address() -> str | None:
    """An address of this machine that is not loopback (the route to a documentation net)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # UDP: nothing is sent
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else str(address)


async def metrics_client(aiohttp_client: Any, database_url: str, **overrides: Any) -> TestClient:
    settings = make_settings(database_url, **overrides)
    client: TestClient = await aiohttp_client(create_app(settings))
    return client


async def test_with_a_token_set_a_scrape_needs_it(
    aiohttp_client: Any, database_url: str, clean_database: None
) -> None:
    client = await metrics_client(aiohttp_client, database_url, metrics_token=TOKEN)
    missing = await client.get("/metrics")
    assert missing.status == 401
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    for wrong in ("Bearer nope", f"Basic {TOKEN}", "Bearer " + TOKEN[:-1]):
        answer = await client.get("/metrics", headers={"Authorization": wrong})
        assert answer.status in (401, 403), wrong
    assert (await client.get("/metrics", headers={"Authorization": "Bearer x"})).status == 403
    good = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert good.status == 200
    assert "moderation_http_requests_total" in await good.text()
    # A token also opens the metrics to a relayed request (the proxy passes the header on).
    relayed = await client.get(
        "/metrics", headers={"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "203.0.113.9"}
    )
    assert relayed.status == 200


async def test_without_a_token_only_direct_loopback_clients_get_the_metrics(
    aiohttp_client: Any, database_url: str, clean_database: None
) -> None:
    client = await metrics_client(aiohttp_client, database_url)
    assert (await client.get("/metrics")).status == 200  # the test client is on 127.0.0.1
    for relay in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}):
        assert (await client.get("/metrics", headers=relay)).status == 403


async def test_without_a_token_a_client_on_another_interface_is_refused(
    aiohttp_client: Any, database_url: str, clean_database: None
) -> None:
    address = outward_address()
    if address is None:
        pytest.skip("this machine has no address besides loopback")
    settings = make_settings(database_url)
    client: TestClient = await aiohttp_client(create_app(settings), server_kwargs={"host": address})
    refused = await client.get("/metrics")
    assert refused.status == 403
    assert "loopback" in (await refused.json())["detail"]
    assert (await client.get("/healthz")).status == 200


async def test_a_scrape_runs_the_same_few_bounded_queries_however_many_sites_there_are(
    aiohttp_client: Any, database_url: str, clean_database: None
) -> None:
    # One pooled connection, so every query of a scrape runs where the logger listens.
    client = await metrics_client(aiohttp_client, database_url, pool_min_size=1, pool_max_size=1)
    pool = client.app[POOL]
    queries: list[str] = []
    async with pool.acquire() as conn:
        conn.add_query_logger(lambda record: queries.append(record.query))

    async def scrape() -> list[str]:
        queries.clear()
        response = await client.get("/metrics")
        assert response.status == 200
        return list(queries)

    await service.admin.create_site(pool, "daily", "Daily", [])
    first = await scrape()
    for n in range(5):
        site = await service.admin.create_site(pool, f"site-{n}", f"Site {n}", [])
        await service.admin.save_settings(pool, site, UNLIMITED)
        response = await client.post(
            f"/v1/sites/site-{n}/comments", json=comment_payload(body=f"تعليق رقم {n}")
        )
        assert response.status == 202
    second = await scrape()
    assert first == second  # the same statements, not one per site or per row
    assert len(second) <= 3  # pending comments, pending mails, webhook deliveries
    for query in second:
        assert "group by" not in query.lower()
        assert "sites" not in query.lower()
        assert "limit" in query.lower() or "webhook_deliveries" in query.lower()
    text = await (await client.get("/metrics")).text()
    assert "moderation_pending_comments 5.0" in text
    assert 'site="site-' not in text.split("moderation_pending_comments")[-1].split("\n")[0]


def test_the_token_is_read_from_the_environment_and_never_printed() -> None:
    settings = Settings.from_env({"MODERATION_METRICS_TOKEN": f" {TOKEN} "})
    assert settings.metrics_token == TOKEN
    assert TOKEN not in repr(settings)
    assert Settings.from_env({"MODERATION_METRICS_TOKEN": ""}).metrics_token is None


def test_request_counts_and_latency_buckets_read_as_prometheus_writes_them() -> None:
    metrics = Metrics.create()
    route = "/v1/sites/{site}/comments"
    for seconds in (0.0001, 0.0005, 0.0007, 0.02, 3.0):  # 0.0005 is in its own bucket (le)
        metrics.observe_request(route, "POST", 429, seconds)
    metrics.observe_request(route, "POST", 202, 0.004)
    text = generate_latest(metrics.registry).decode()
    lines = set(text.splitlines())
    assert (
        f'moderation_http_requests_total{{method="POST",route="{route}",status="429"}} 5.0' in lines
    )
    assert (
        f'moderation_http_requests_total{{method="POST",route="{route}",status="202"}} 1.0' in lines
    )
    bucket = "moderation_http_request_duration_seconds_bucket"
    expected = {"0.0005": 2, "0.001": 3, "0.005": 4, "0.025": 5, "2.5": 5, "+Inf": 6}
    for le, count in expected.items():
        assert f'{bucket}{{le="{le}",route="{route}"}} {count:.1f}' in lines, le
    assert f'moderation_http_request_duration_seconds_count{{route="{route}"}} 6.0' in lines
