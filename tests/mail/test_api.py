"""POST /v1/sites/{site}/mail/test: an admin checks that the site's mail reaches people, through
HTTP to a real SMTP server; the answer never repeats the address."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from moderation.config import Settings
from moderation.db import POOL
from tests.conftest import SiteFixture
from tests.mail.conftest import MailServer, mail_settings, settled


@pytest.fixture
def settings(database_url: str, smtp_server: MailServer) -> Settings:
    return mail_settings(database_url, smtp_server.port)


async def test_an_admin_sends_a_test_mail_in_the_sites_language(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    settings_path = f"/v1/sites/{site.slug}/settings"
    admin = site.auth(site.admin)
    await client.patch(settings_path, json={"language": "ar"}, headers=admin)
    response = await client.post(
        f"/v1/sites/{site.slug}/mail/test", json={"to": "sara@example.com"}, headers=admin
    )
    assert response.status == 202
    body = await response.json()
    assert body["status"] == "pending" and "@" not in await response.text()
    [arrived] = await smtp_server.wait_for(1)
    message = arrived.message
    assert message["To"] == "sara@example.com" and message["Subject"] == "رسالة تجريبية من Daily"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("مرحباً بك،")
    [row] = await settled(client.app[POOL], 1)
    assert (str(row["id"]), row["status"]) == (body["id"], "sent")

    await client.patch(settings_path, json={"language": "en"}, headers=admin)
    named = await client.post(
        f"/v1/sites/{site.slug}/mail/test",
        json={"to": "omar@example.com", "name": "Omar"},
        headers=admin,
    )
    assert named.status == 202
    arrived = await smtp_server.wait_for(2)
    greeting = arrived[1].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert greeting.startswith("Hello Omar,")


async def test_only_an_admin_of_the_site_sends_test_mail_and_bad_input_is_a_422(
    client: TestClient, site: SiteFixture, other_site: SiteFixture
) -> None:
    path = f"/v1/sites/{site.slug}/mail/test"
    assert (await client.post(path, json={"to": "a@example.com"})).status == 401
    moderator = await client.post(path, json={"to": "a@example.com"}, headers=site.auth())
    assert moderator.status == 403
    other = await client.post(
        path, json={"to": "a@example.com"}, headers=other_site.auth(other_site.admin)
    )
    assert other.status == 404
    for body, field in [({}, "to"), ({"to": "not an address"}, "to"), ({"to": 7}, "to")]:
        response = await client.post(path, json=body, headers=site.auth(site.admin))
        assert response.status == 422
        assert response.content_type == "application/problem+json"
        assert [e["field"] for e in (await response.json())["errors"]] == [field]
    assert await client.app[POOL].fetchval("SELECT count(*) FROM mail_outbox") == 0
