"""/dev/mail: in development without a relay, mails are kept and shown (list, headers, text and
HTML parts, links clickable); in production the paths don't exist."""

from __future__ import annotations

import re
from typing import Any

from moderation.app import create_app
from moderation.db import POOL
from tests.conftest import make_settings, make_site
from tests.mail.conftest import queue_test_mail, settled


async def test_development_keeps_mails_and_shows_them_at_dev_mail(
    aiohttp_client: Any, database_url: str, clean_database: None
) -> None:
    settings = make_settings(database_url, development=True, mail_workers=True)
    client = await aiohttp_client(create_app(settings))
    site = await make_site(client, "daily")
    response = await client.patch(
        f"/v1/sites/{site.slug}/settings",
        json={"language": "ar", "public_url": "https://daily.example/"},
        headers=site.auth(site.admin),
    )
    assert response.status == 200
    await queue_test_mail(
        client, site.slug, "sara@example.com", action_url="https://daily.example/a/1"
    )
    [kept] = await settled(client.app[POOL], 1)
    assert (kept["status"], kept["attempts"]) == ("kept", 1)

    listing = await client.get("/dev/mail")
    assert listing.status == 200 and listing.content_type == "text/html"
    page = await listing.text()
    assert "رسالة تجريبية من Daily" in page and "sara@example.com" in page
    link = re.search(r'href="(/dev/mail/\d+/\d+)"', page)
    assert link is not None

    detail = await (await client.get(link[1])).text()
    assert "auto-generated" in detail and "List-Unsubscribe=One-Click" in detail
    assert '<a href="https://daily.example/a/1">https://daily.example/a/1</a>' in detail

    html_part = await client.get(link[1] + "/html")
    assert html_part.status == 200
    markup = await html_part.text()
    assert '<html lang="ar" dir="rtl">' in markup
    assert '<a href="https://daily.example/a/1"' in markup
    policy = html_part.headers["Content-Security-Policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "sandbox" in policy

    text_part = await client.get(link[1] + "/text")
    assert text_part.content_type == "text/plain"
    assert "https://daily.example/a/1" in await text_part.text()
    raw = await (await client.get(link[1] + "/raw")).text()
    assert raw.startswith("To: sara@example.com\r\n") and "Message-ID: <" in raw
    assert (await client.get("/dev/mail/999/999")).status == 404


async def test_production_has_no_dev_mail_and_keeps_queued_mail_waiting(
    aiohttp_client: Any, database_url: str, clean_database: None
) -> None:
    settings = make_settings(database_url, development=False, mail_workers=True)
    client = await aiohttp_client(create_app(settings))
    site = await make_site(client, "daily")
    queued = await queue_test_mail(client, site.slug, "sara@example.com")
    for path in ("/dev/mail", f"/dev/mail/1/{queued.id}", f"/dev/mail/1/{queued.id}/html"):
        response = await client.get(path)
        assert response.status == 404
        assert response.content_type == "application/problem+json"
    # No relay configured: nothing is kept or dropped, the mail waits for one.
    rows = await client.app[POOL].fetch("SELECT status, attempts FROM mail_outbox")
    assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 0)]
