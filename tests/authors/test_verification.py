"""Verified authors, through HTTP and a real SMTP server: the confirmation mail of a first
comment, its single-use link (GET shows, only POST confirms), the author token the widget keeps,
what a proven post earns, and what a stranger typing someone's address cannot do."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from aiohttp.test_utils import TestClient

from moderation.config import Settings
from moderation.db import POOL
from moderation.domain import SiteSettings
from tests.authors.conftest import (
    ARTICLE,
    BASE,
    BROWSER,
    link_in,
    mail_kinds,
    set_settings,
    text_of,
)
from tests.conftest import SiteFixture, approve, make_site, post_comment
from tests.mail.conftest import MailServer, mail_settings


async def confirm(client: TestClient, path: str) -> str:
    """POST the confirmation link; the author token the widget gets back in the fragment."""
    response = await client.post(path, allow_redirects=False)
    assert response.status == 303, await response.text()
    location = response.headers["Location"]
    assert location.startswith(ARTICLE + "#moderation-author-token=")
    return unquote(urlsplit(location).fragment.partition("=")[2])


@pytest.mark.parametrize("language", ["en", "ar"])
async def test_a_first_comment_mails_a_link_that_confirms_only_on_post(
    client: TestClient, site: SiteFixture, smtp_server: MailServer, language: str
) -> None:
    await set_settings(client, site, language=language)
    posted = await post_comment(client, site, page_url=ARTICLE, body="Hello, first comment")
    assert posted["status"] == "pending" and "@" not in str(posted)
    [arrived] = await smtp_server.wait_for(1)
    assert arrived.recipients == ("sara@example.com",)
    subject = str(arrived.message["Subject"])
    assert subject == (
        "Confirm your address for comments on Daily"
        if language == "en"
        else "أكّد عنوان بريدك للتعليق على Daily"
    )
    assert "Hello, first comment" in text_of(arrived)
    path = link_in(arrived, "confirm")
    assert len(path.rsplit("/", 1)[1]) >= 43  # 256 random bits

    # A mail scanner fetching the link twice confirms nothing.
    for _ in range(2):
        page = await client.get(path)
        assert page.status == 200
        assert '<form method="post">' in await page.text()
        assert page.headers["Referrer-Policy"] == "no-referrer"
    assert await client.app[POOL].fetchval("SELECT count(*) FROM author_tokens") == 0

    token = await confirm(client, path)
    assert token
    used = await client.post(path, allow_redirects=False, headers=BROWSER)
    assert used.status == 409 and "text/html" in used.content_type
    assert ("used already" if language == "en" else "استُخدم هذا الرابط") in await used.text()
    api_used = await client.post(path, allow_redirects=False)
    assert api_used.status == 409 and api_used.content_type == "application/problem+json"
    again = await client.get(path)
    assert again.status == 409

    # A later comment from the same address sends no second confirmation.
    await post_comment(client, site, body="second one", author_token=token)
    assert await mail_kinds(client) == ["confirm"]


async def test_forged_and_expired_links_get_a_clear_page_and_the_api_404_410_409(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await post_comment(client, site, page_url=ARTICLE)
    [arrived] = await smtp_server.wait_for(1)
    path = link_in(arrived, "confirm")
    token = path.rsplit("/", 1)[1]
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for url in (forged, f"/authors/{site.slug}/confirm/x", f"/authors/{site.slug}/confirm/%00"):
        for method in ("GET", "POST"):
            response = await client.request(method, url, headers=BROWSER)
            assert response.status == 404, (method, url)
            assert "text/html" in response.content_type
            assert "This link is not valid" in await response.text()
    api = f"/v1/sites/{site.slug}/authors/confirm"
    assert (await client.post(api, json={"token": forged.rsplit("/", 1)[1]})).status == 404
    bad = await client.post(api, json={"token": 7})
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "token"

    # Seven days later (the clock moved by moving the link's expiry).
    await client.app[POOL].execute(
        "UPDATE author_confirmations SET expires_at = now() - interval '1 second'"
    )
    assert (await client.get(path)).status == 410
    assert (await client.post(path)).status == 410
    assert (await client.post(api, json={"token": token})).status == 410
    await client.app[POOL].execute(
        "UPDATE author_confirmations SET expires_at = now() + interval '1 day'"
    )
    done = await client.post(api, json={"token": token})
    assert done.status == 200
    body = await done.json()
    assert body["return_to"] == ARTICLE and body["author_token"]
    assert (await client.post(api, json={"token": token})).status == 409


async def test_two_concurrent_confirmations_of_one_link_one_wins(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await post_comment(client, site, page_url=ARTICLE)
    [arrived] = await smtp_server.wait_for(1)
    path = link_in(arrived, "confirm")
    answers = await asyncio.gather(*(client.post(path, allow_redirects=False) for _ in range(4)))
    assert sorted(a.status for a in answers) == [303, 409, 409, 409]
    assert await client.app[POOL].fetchval("SELECT count(*) FROM author_tokens") == 1


async def test_trusted_authors_are_published_at_once_only_with_their_token(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(client, site, policy="trust-approved-authors")
    first = await post_comment(client, site, email="alice@example.com", page_url=ARTICLE)
    await approve(client, site, first["id"])
    [arrived] = await smtp_server.wait_for(1)
    token = await confirm(client, link_in(arrived, "confirm"))

    # The attack of the issue: an approved address typed again, in capitals, by someone else.
    spoofed = await post_comment(
        client, site, email="ALICE@example.com", name="Alice", body="Buy cheap pills now!"
    )
    assert spoofed["status"] == "pending"
    unknown = await post_comment(client, site, email="nobody@example.com", body="مرحبا")
    assert unknown["status"] == spoofed["status"]
    # Alice's own browser, with the token it got from confirming.
    proven = await post_comment(
        client, site, email="alice@example.com", body="Thanks, all", author_token=token
    )
    assert proven["status"] == "approved"
    thread = await client.get(
        f"/v1/sites/{site.slug}/comments", params={"thread": "politics/2026/elections"}
    )
    bodies = [c["body_html"] for c in (await thread.json())["items"]]
    assert not any("pills" in b for b in bodies)
    # Alice's token proves nothing for another address.
    other = await post_comment(
        client, site, email="mallory@example.com", body="x y", author_token=token
    )
    assert other["status"] == "pending"
    # A forged token is simply not proof (and not an error that tells anything).
    forged = await post_comment(
        client, site, email="alice@example.com", body="z", author_token=token[:-2] + "AA"
    )
    assert forged["status"] == "pending"


async def test_an_admin_revokes_an_addresss_tokens_and_they_prove_nothing_more(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(client, site, policy="trust-approved-authors")
    first = await post_comment(client, site, page_url=ARTICLE)
    await approve(client, site, first["id"])
    [arrived] = await smtp_server.wait_for(1)
    token = await confirm(client, link_in(arrived, "confirm"))
    path = f"/v1/sites/{site.slug}/authors/revoke-tokens"
    assert (
        await client.post(path, json={"email": "sara@example.com"}, headers=site.auth())
    ).status == 403
    revoked = await client.post(
        path, json={"email": "SARA@example.com"}, headers=site.auth(site.admin)
    )
    assert revoked.status == 200 and await revoked.json() == {"revoked": 1}
    later = await post_comment(client, site, body="again", author_token=token)
    assert later["status"] == "pending"


async def test_a_site_that_requires_verified_addresses_holds_comments_until_confirmed(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(client, site, require_verified_email=True, language="ar")
    posted = await post_comment(client, site, page_url=ARTICLE, body="تعليق ينتظر التأكيد")
    assert posted["status"] == "unverified"
    queue = await client.get(f"/v1/sites/{site.slug}/queue", headers=site.auth())
    assert (await queue.json())["items"] == []
    unverified_queue = await client.get(
        f"/v1/sites/{site.slug}/queue", params={"status": "unverified"}, headers=site.auth()
    )
    assert unverified_queue.status == 422
    [arrived] = await smtp_server.wait_for(1)
    token = await confirm(client, link_in(arrived, "confirm"))
    queue = await client.get(f"/v1/sites/{site.slug}/queue", headers=site.auth())
    assert [c["id"] for c in (await queue.json())["items"]] == [posted["id"]]
    # With the token, the next comment goes straight to the queue.
    later = await post_comment(client, site, body="والثاني مباشرة", author_token=token)
    assert later["status"] == "pending"


async def test_a_stranger_typing_someones_address_cannot_lock_them_out(
    aiohttp_client: Any, database_url: str, smtp_server: MailServer
) -> None:
    settings: Settings = mail_settings(
        database_url,
        smtp_server.port,
        public_base_url=BASE,
        trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),),
    )
    from moderation.app import create_app
    from tests.conftest import APP_TABLES

    client = await aiohttp_client(create_app(settings))
    await client.app[POOL].execute(f"TRUNCATE {APP_TABLES} RESTART IDENTITY CASCADE")
    site = await make_site(
        client, "daily", ["https://daily.example"], SiteSettings(flood_seconds=60, hourly_limit=5)
    )

    async def post(ip: str, body: str) -> int:
        response = await client.post(
            f"/v1/sites/{site.slug}/comments",
            json={"thread": "t", "name": "Sara", "email": "sara@example.com", "body": body},
            headers={"X-Forwarded-For": ip},
        )
        return response.status

    assert await post("203.0.113.9", "the stranger") == 202
    assert await post("203.0.113.9", "the stranger again") == 429
    # Sara, from her own network, is not held by the stranger's posts.
    assert await post("198.51.100.7", "Sara herself") == 202


async def test_no_mail_for_a_honeypot_hit_or_a_duplicate(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    trapped = await client.post(
        f"/v1/sites/{site.slug}/comments",
        json={"thread": "t", "name": "Bot", "email": "bot@example.com", "body": "x", "url": "y"},
    )
    assert trapped.status == 202
    await post_comment(client, site, email="omar@example.com", body="نص")
    await smtp_server.wait_for(1)
    duplicate = await client.post(
        f"/v1/sites/{site.slug}/comments",
        json={
            "thread": "politics/2026/elections",
            "name": "Omar",
            "email": "omar@example.com",
            "body": "نص",
        },
    )
    assert duplicate.status == 409
    assert await mail_kinds(client) == ["confirm"]  # Omar's first comment's, nothing else
    [arrived] = await smtp_server.wait_for(1)
    assert arrived.recipients == ("omar@example.com",)


async def test_a_page_url_must_be_on_the_sites_origins(
    client: TestClient, site: SiteFixture
) -> None:
    for page_url in (
        "https://evil.example/x",
        "javascript:alert(1)",
        "https://daily.example.evil/",
    ):
        response = await client.post(
            f"/v1/sites/{site.slug}/comments",
            json={
                "thread": "t",
                "name": "S",
                "email": "s@example.com",
                "body": "b",
                "page_url": page_url,
            },
        )
        assert response.status == 422, page_url
        assert [e["field"] for e in (await response.json())["errors"]] == ["page_url"]


async def test_smtp_down_never_delays_the_answer(aiohttp_client: Any, database_url: str) -> None:
    from moderation.app import create_app
    from tests.conftest import APP_TABLES
    from tests.mail.conftest import free_port

    # Nothing listens on this port: every attempt fails, the answer does not wait for it.
    client = await aiohttp_client(
        create_app(mail_settings(database_url, free_port(), public_base_url=BASE))
    )
    await client.app[POOL].execute(f"TRUNCATE {APP_TABLES} RESTART IDENTITY CASCADE")
    site = await make_site(client, "daily", ["https://daily.example"])
    loop = asyncio.get_running_loop()
    started = loop.time()
    posted = await post_comment(client, site, page_url=ARTICLE)
    assert loop.time() - started < 1.0
    assert posted["status"] == "pending"
    assert await client.app[POOL].fetchval("SELECT count(*) FROM mail_outbox") == 1
