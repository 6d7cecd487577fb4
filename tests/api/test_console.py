"""The console's pages and session: cookie sign-in, CSRF on writes, strict page headers,
expected_status for take-down/restore/undo, and the no-JavaScript form's 303."""

from __future__ import annotations

from ipaddress import ip_network
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from moderation import service
from moderation.app import create_app
from moderation.db import POOL
from moderation.domain import Role
from tests.conftest import (
    SiteFixture,
    approve,
    comment_payload,
    make_settings,
    make_site,
    post_comment,
)


async def sign_in(client: TestClient, token: str) -> dict[str, Any]:
    response = await client.post("/moderate/session", json={"token": token})
    assert response.status == 200, await response.text()
    return await response.json()


async def test_signing_in_sets_an_httponly_strict_cookie_and_never_returns_the_token(
    client: TestClient, site: SiteFixture
) -> None:
    response = await client.post("/moderate/session", json={"token": site.moderator})
    assert response.status == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("moderation_session=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in tests; request.secure turns it on
    body = await response.json()
    assert body["site"] == site.slug and body["role"] == "moderator"
    assert site.moderator not in await response.text()
    stored = await client.app[POOL].fetchval("SELECT session_hash FROM console_sessions")
    assert len(stored) == 32  # only a hash is kept
    info = await client.get("/moderate/session")
    assert (await info.json())["csrf_token"] == body["csrf_token"]


async def test_a_bad_token_gets_no_session(client: TestClient, site: SiteFixture) -> None:
    for payload in ({"token": "cmod_nope"}, {"token": 5}, {}):
        response = await client.post("/moderate/session", json=payload)
        assert response.status == 401
        assert "Set-Cookie" not in response.headers
    assert (await client.get("/moderate/session")).status == 401


async def test_the_cookie_reads_the_queue_but_writes_need_the_csrf_token(
    client: TestClient, site: SiteFixture
) -> None:
    session = await sign_in(client, site.moderator)
    comment = await post_comment(client, site)
    assert (await client.get(f"/v1/sites/{site.slug}/queue")).status == 200
    path = f"/v1/comments/{comment['id']}/approve"
    assert (await client.post(path)).status == 403
    assert (await client.post(path, headers={"X-CSRF-Token": "wrong"})).status == 403
    cross = {"X-CSRF-Token": session["csrf_token"], "Origin": "https://evil.example"}
    assert (await client.post(path, headers=cross)).status == 403
    same = {"X-CSRF-Token": session["csrf_token"], "Origin": str(client.make_url("")).rstrip("/")}
    response = await client.post(path, headers=same)
    assert response.status == 200, await response.text()
    assert (await response.json())["status"] == "approved"


async def test_revoking_the_token_ends_its_sessions(client: TestClient, site: SiteFixture) -> None:
    pool = client.app[POOL]
    token_id, token = await service.admin.create_token(pool, site.slug, Role.MODERATOR)
    await sign_in(client, token)
    assert (await client.get(f"/v1/sites/{site.slug}/queue")).status == 200
    assert await service.admin.revoke_token(pool, token_id)
    assert (await client.get(f"/v1/sites/{site.slug}/queue")).status == 401
    assert (await client.get("/moderate/session")).status == 401


async def test_signing_out_ends_the_session(client: TestClient, site: SiteFixture) -> None:
    session = await sign_in(client, site.moderator)
    assert (await client.delete("/moderate/session")).status == 403  # no CSRF token
    response = await client.delete(
        "/moderate/session", headers={"X-CSRF-Token": session["csrf_token"]}
    )
    assert response.status == 204
    assert (await client.get("/moderate/session")).status == 401


async def test_a_cross_site_sign_in_form_is_refused(client: TestClient, site: SiteFixture) -> None:
    response = await client.post(
        "/moderate/session",
        data={"token": site.moderator},
        headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )
    assert response.status == 403
    assert "Set-Cookie" not in response.headers


async def test_the_sign_in_form_without_javascript_redirects_to_the_console(
    client: TestClient, site: SiteFixture
) -> None:
    response = await client.post(
        "/moderate/session", data={"token": site.moderator}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == "/moderate/"
    assert "HttpOnly" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("path", ["/moderate/", "/moderate/console.js", "/moderate/console.css"])
async def test_console_pages_carry_a_strict_content_security_policy(
    client: TestClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status == 200
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


async def test_the_console_page_has_no_inline_script_or_style(client: TestClient) -> None:
    html = await (await client.get("/moderate/")).text()
    assert "<script>" not in html and "<style" not in html and "style=" not in html
    assert "onclick" not in html.lower()


async def test_unknown_console_files_are_404_and_the_demo_is_off_outside_development(
    client: TestClient,
) -> None:
    assert (await client.get("/moderate/secret.txt")).status == 404
    assert (await client.get("/moderate/..%2Fopenapi.json")).status == 404
    assert (await client.get("/demo/")).status == 404


async def test_the_widget_script_is_served_for_other_origins(client: TestClient) -> None:
    response = await client.get("/embed.js")
    assert response.status == 200
    assert response.content_type == "text/javascript"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    text = await response.text()
    assert "document.cookie" not in text
    # Page storage holds one thing: the author token of a confirmed address (issue 11).
    assert text.count("localStorage") == 1 and "author-token" in text


async def test_a_decided_comment_answers_409_without_expected_status(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(client, site)
    await approve(client, site, comment["id"])
    response = await client.post(
        f"/v1/comments/{comment['id']}/reject", json={"reason": "spam"}, headers=site.auth()
    )
    assert response.status == 409
    assert (await response.json())["current_status"] == "approved"


async def test_expected_status_takes_down_and_restores_with_audit_and_webhook_events(
    client: TestClient, site: SiteFixture
) -> None:
    hook = await client.post(
        f"/v1/sites/{site.slug}/webhooks",
        json={"url": "http://127.0.0.1:9/h"},
        headers=site.auth(site.admin),
    )
    assert hook.status == 201, await hook.text()
    comment = await post_comment(client, site)
    await approve(client, site, comment["id"])
    down = await client.post(
        f"/v1/comments/{comment['id']}/reject",
        json={"reason": "offensive", "expected_status": "approved"},
        headers=site.auth(),
    )
    assert down.status == 200
    assert (await down.json())["status"] == "rejected"
    thread = await client.get(
        f"/v1/sites/{site.slug}/comments", params={"thread": comment["thread"]}
    )
    assert (await thread.json())["items"] == []
    stale = await client.post(
        f"/v1/comments/{comment['id']}/reject",
        json={"reason": "spam", "expected_status": "approved"},
        headers=site.auth(),
    )
    assert stale.status == 409  # someone already took it down: racing moderators can't both win
    restored = await client.post(
        f"/v1/comments/{comment['id']}/approve",
        json={"expected_status": "rejected"},
        headers=site.auth(),
    )
    assert restored.status == 200
    detail = await (await client.get(f"/v1/comments/{comment['id']}", headers=site.auth())).json()
    steps = [(h["from_status"], h["to_status"]) for h in detail["history"]]
    assert steps == [("pending", "approved"), ("approved", "rejected"), ("rejected", "approved")]
    events = await client.app[POOL].fetch(
        "SELECT event_type FROM webhook_deliveries ORDER BY created_at, id"
    )
    assert [e["event_type"] for e in events] == [
        "comment.created",
        "comment.approved",
        "comment.rejected",
        "comment.approved",
    ]


async def test_expected_status_must_be_a_status(client: TestClient, site: SiteFixture) -> None:
    comment = await post_comment(client, site)
    response = await client.post(
        f"/v1/comments/{comment['id']}/approve",
        json={"expected_status": "published"},
        headers=site.auth(),
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "expected_status"


async def test_a_form_post_without_javascript_goes_back_to_the_article(
    client: TestClient, site: SiteFixture
) -> None:
    article = "https://daily.example/politics/elections?ref=home#comments"
    response = await client.post(
        f"/v1/sites/{site.slug}/comments",
        data={**comment_payload(), "return_to": article},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == (
        "https://daily.example/politics/elections?ref=home#comment-status=pending"
    )
    by_referer = await client.post(
        f"/v1/sites/{site.slug}/comments",
        data=comment_payload(body="تعليق آخر"),
        headers={"Referer": "https://daily.example/a"},
        allow_redirects=False,
    )
    assert by_referer.status == 303
    assert by_referer.headers["Location"] == "https://daily.example/a#comment-status=pending"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "https://daily.example.evil.example/x",
        "https://user@daily.example/x",
        "javascript:alert(1)",
        "//evil.example/x",
        "/relative",
    ],
)
async def test_a_form_post_never_redirects_to_an_address_outside_the_sites_origins(
    client: TestClient, site: SiteFixture, target: str
) -> None:
    response = await client.post(
        f"/v1/sites/{site.slug}/comments",
        data={**comment_payload(), "return_to": target},
        allow_redirects=False,
    )
    assert response.status == 202
    assert "Location" not in response.headers


async def test_json_posts_are_never_redirected(client: TestClient, site: SiteFixture) -> None:
    response = await client.post(
        f"/v1/sites/{site.slug}/comments",
        json={**comment_payload(), "return_to": "https://daily.example/a"},
        headers={"Referer": "https://daily.example/a"},
        allow_redirects=False,
    )
    assert response.status == 202


async def test_behind_a_trusted_tls_proxy_the_cookie_is_secure(
    aiohttp_client: Any, database_url: str, clean_database: None, client: TestClient
) -> None:
    settings = make_settings(database_url, trusted_proxies=(ip_network("127.0.0.1/32"),))
    proxied = await aiohttp_client(create_app(settings))
    site = await make_site(proxied, "proxied")
    forwarded = {"X-Forwarded-Proto": "https"}
    response = await proxied.post(
        "/moderate/session", json={"token": site.moderator}, headers=forwarded
    )
    assert "Secure" in response.headers["Set-Cookie"]
    plain = await client.post(
        "/moderate/session", json={"token": site.moderator}, headers=forwarded
    )
    assert "Secure" not in plain.headers["Set-Cookie"]  # that peer is not a trusted proxy
