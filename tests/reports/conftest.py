"""Report fixtures: the real app with a real SMTP server, behind a trusted loopback proxy so each
test reader can come from a network of its own (X-Forwarded-For)."""

from __future__ import annotations

import ipaddress
import json
from email.message import EmailMessage
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from moderation.config import Settings
from moderation.db import POOL
from moderation.store import webhooks as webhook_store
from tests.conftest import SiteFixture, approve, post_comment
from tests.mail.conftest import MailServer, mail_settings, smtp_server
from tests.support import eventually

__all__ = ["smtp_server"]


@pytest.fixture
def settings(database_url: str, smtp_server: MailServer) -> Settings:
    return mail_settings(
        database_url,
        smtp_server.port,
        trusted_proxies=(ipaddress.ip_network("127.0.0.0/8"),),
        webhook_workers=False,
    )


def reader(number: int) -> dict[str, str]:
    """A reader on a network of their own (one /24 per reader number)."""
    return {"X-Forwarded-For": f"203.0.{number}.7"}


async def published(client: TestClient, site: SiteFixture, **overrides: Any) -> str:
    created = await post_comment(client, site, **overrides)
    await approve(client, site, created["id"])
    return str(created["id"])


async def report(
    client: TestClient, comment_id: str, number: int = 1, *, status: int = 202, **fields: Any
) -> dict[str, Any]:
    body = {"category": "harassment", "explanation": "يهدد كاتب المقال / threatens the author"}
    body.update(fields)
    response = await client.post(
        f"/v1/comments/{comment_id}/reports",
        json={k: v for k, v in body.items() if v is not None},
        headers=reader(number),
    )
    assert response.status == status, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def listing(client: TestClient, site: SiteFixture, query: str = "") -> dict[str, Any]:
    response = await client.get(f"/v1/sites/{site.slug}/reports{query}", headers=site.auth())
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def subscribe(client: TestClient, slug: str, *events: str) -> None:
    """A webhook endpoint for the site (the dispatcher is off: deliveries stay in the table)."""
    pool = client.app[POOL]
    site_id = await pool.fetchval("SELECT id FROM sites WHERE slug = $1", slug)
    async with pool.acquire() as conn:
        await webhook_store.insert_endpoint(
            conn, site_id, "https://hooks.example/in", list(events), None, "whsec_test"
        )


async def delivered(client: TestClient, event: str) -> list[dict[str, Any]]:
    rows = await client.app[POOL].fetch(
        "SELECT body FROM webhook_deliveries WHERE event_type = $1 ORDER BY created_at, id",
        event,
    )
    return [json.loads(r["body"]) for r in rows]


async def mails_to(server: MailServer, address: str, count: int) -> list[EmailMessage]:
    """The first `count` mails to `address`, in arrival order (authors get mails of their own)."""

    def arrived() -> list[EmailMessage] | None:
        found = [a.message for a in server.arrived if address in a.recipients]
        return found[:count] if len(found) >= count else None

    return await eventually(arrived, 10.0, message=f"{count} mails to {address} did not arrive")


# The subject of a report's decision, in each language (moderation/mail/texts.py).
DECISION_SUBJECTS = ("Decision on your report", "القرار في بلاغك")


def the_decision(messages: list[EmailMessage]) -> EmailMessage:
    """The decision among a reporter's mails: a sender's connections send in parallel, so the
    receipt, queued first, may arrive after it."""
    [decision] = [m for m in messages if str(m["Subject"]).startswith(DECISION_SUBJECTS)]
    return decision
