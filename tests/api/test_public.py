"""The public face: posting comments and reading a thread's approved comments."""

from __future__ import annotations

import asyncio
import json
import time
import unicodedata
from typing import Any

import pytest
import structlog
from aiohttp.test_utils import TestClient

from moderation import logs as logs_module
from moderation.app import create_app
from moderation.config import Settings
from moderation.db import POOL
from moderation.threadcache import LIFETIME_SECONDS as THREAD_CACHE_LIFETIME
from moderation.threadcache import THREADS
from tests.conftest import SiteFixture, approve, comment_payload, post_comment
from tests.support import eventually

pytestmark = pytest.mark.through_pgbouncer

PUBLIC_FIELDS = {
    "id",
    "site",
    "thread",
    "parent_id",
    "name",
    "name_dir",
    "website",
    "body_html",
    "body_dir",
    "status",
    "created_at",
}


async def test_a_posted_comment_is_accepted_as_pending_with_only_its_public_view(
    client: TestClient, site: SiteFixture
) -> None:
    response = await client.post(f"/v1/sites/{site.slug}/comments", json=comment_payload())
    assert response.status == 202
    text = await response.text()
    comment = json.loads(text)
    assert set(comment) == PUBLIC_FIELDS
    assert comment["status"] == "pending"
    assert comment["site"] == site.slug
    assert comment["body_dir"] == "rtl" and comment["name_dir"] == "rtl"
    assert 'dir="rtl"' in comment["body_html"]
    assert "@" not in text and "sara" not in text


async def test_an_english_comment_with_a_website_keeps_it_and_reads_left_to_right(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(
        client,
        site,
        name="John Smith",
        body="Great reporting, thanks!",
        website="https://john.example.com/blog",
    )
    assert comment["website"] == "https://john.example.com/blog"
    assert comment["body_dir"] == "ltr" and comment["name_dir"] == "ltr"


async def test_a_plain_html_form_post_is_accepted_like_json(
    client: TestClient, site: SiteFixture
) -> None:
    response = await client.post(
        f"/v1/sites/{site.slug}/comments",
        data={
            "thread": "a1",
            "name": "ليلى",
            "email": "layla@example.com",
            "body": "تعليق من نموذج",
            "website": "",
        },
    )
    assert response.status == 202, await response.text()
    comment = await response.json()
    assert comment["website"] is None
    assert "تعليق من نموذج" in comment["body_html"]


async def test_pending_and_rejected_comments_never_appear_in_the_thread(
    client: TestClient, site: SiteFixture
) -> None:
    pending = await post_comment(client, site, body="ما زال ينتظر")
    rejected = await post_comment(client, site, body="سيُرفض")
    shown = await post_comment(client, site, body="سيظهر")
    await approve(client, site, shown["id"])
    r = await client.post(
        f"/v1/comments/{rejected['id']}/reject", json={"reason": "off_topic"}, headers=site.auth()
    )
    assert r.status == 200
    response = await client.get(
        f"/v1/sites/{site.slug}/comments", params={"thread": "politics/2026/elections"}
    )
    assert response.status == 200
    page = await response.json()
    assert [c["id"] for c in page["items"]] == [shown["id"]]
    assert page["items"][0]["status"] == "approved"
    assert pending["body_html"] not in await response.text()
    assert "@" not in await response.text()


async def test_a_thread_pages_oldest_first_by_cursor(client: TestClient, site: SiteFixture) -> None:
    ids = []
    for n in range(5):
        comment = await post_comment(client, site, thread="sports/final", body=f"تعليق رقم {n}")
        await approve(client, site, comment["id"])
        ids.append(comment["id"])
    seen, cursor = [], None
    for _ in range(len(ids) + 1):  # a cursor that never ends fails below, never hangs
        params = {"thread": "sports/final", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = await (await client.get(f"/v1/sites/{site.slug}/comments", params=params)).json()
        seen.extend(c["id"] for c in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    else:
        raise AssertionError("the thread's cursor never ended")
    assert seen == ids


async def test_a_bad_cursor_or_limit_is_named_in_a_422(
    client: TestClient, site: SiteFixture
) -> None:
    response = await client.get(
        f"/v1/sites/{site.slug}/comments", params={"thread": "t", "cursor": "!!nope", "limit": "0"}
    )
    assert response.status == 422
    problem = await response.json()
    assert {e["field"] for e in problem["errors"]} == {"cursor", "limit"}


async def test_a_thread_listing_needs_a_thread(client: TestClient, site: SiteFixture) -> None:
    response = await client.get(f"/v1/sites/{site.slug}/comments")
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "thread"


async def test_a_reply_must_answer_an_approved_comment_of_the_same_thread(
    client: TestClient, site: SiteFixture
) -> None:
    parent = await post_comment(client, site, body="السؤال الأول")
    r = await client.post(
        f"/v1/sites/{site.slug}/comments", json=comment_payload(parent_id=parent["id"])
    )
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "parent_id"
    await approve(client, site, parent["id"])
    other_thread = comment_payload(parent_id=parent["id"], thread="economy/oil")
    r = await client.post(f"/v1/sites/{site.slug}/comments", json=other_thread)
    assert r.status == 422
    reply = await post_comment(client, site, parent_id=parent["id"], body="الجواب")
    assert reply["parent_id"] == parent["id"]
    r = await client.post(
        f"/v1/sites/{site.slug}/comments", json=comment_payload(parent_id="99999999")
    )
    assert r.status == 422


async def test_an_unknown_site_is_a_404_problem(client: TestClient, site: SiteFixture) -> None:
    for response in (
        await client.post("/v1/sites/nowhere/comments", json=comment_payload()),
        await client.get("/v1/sites/nowhere/comments", params={"thread": "x"}),
    ):
        assert response.status == 404
        assert response.content_type == "application/problem+json"


async def test_the_email_is_stored_normalized_and_only_moderators_see_it(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(client, site, email="Sara.Ahmed@EXAMPLE.com")
    detail = await (await client.get(f"/v1/comments/{comment['id']}", headers=site.auth())).json()
    assert detail["email"] == "Sara.Ahmed@example.com"
    row = await client.app[POOL].fetchrow("SELECT email_hash, client_ip FROM comments")
    assert len(row["email_hash"]) == 32 and row["client_ip"] is not None


async def test_the_same_author_gets_the_same_fingerprint_and_sites_get_different_ones(
    client: TestClient, site: SiteFixture, other_site: SiteFixture
) -> None:
    await post_comment(client, site, email="omar@example.com")
    await post_comment(client, site, email="OMAR@Example.com", body="مرة أخرى")
    await post_comment(client, other_site, email="omar@example.com", body="موقع آخر")
    rows = await client.app[POOL].fetch(
        "SELECT site_id, email_hash FROM comments ORDER BY created_at, id"
    )
    assert rows[0]["email_hash"] == rows[1]["email_hash"]
    assert rows[0]["email_hash"] != rows[2]["email_hash"]


async def test_stored_text_is_nfc_without_control_characters(
    client: TestClient, site: SiteFixture
) -> None:
    decomposed = unicodedata.normalize("NFD", "café résumé")
    comment = await post_comment(client, site, body=f"{decomposed}\x00\x07 نص\r\nسطر")
    row = await client.app[POOL].fetchrow(
        "SELECT body_text FROM comments WHERE id = $1", int(comment["id"])
    )
    assert row["body_text"] == "café résumé نص\nسطر"


async def test_markup_outside_the_allowlist_is_shown_as_text(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(
        client,
        site,
        body='<script>alert(1)</script> <b>مهم</b> <a href="javascript:alert(1)">x</a> https://example.com/a',
    )
    html = comment["body_html"]
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<b>مهم</b>" in html
    assert "javascript:" not in html
    assert 'href="https://example.com/a"' in html and 'rel="nofollow ugc noopener"' in html


async def test_cors_answers_only_the_sites_own_origins(
    client: TestClient, site: SiteFixture
) -> None:
    path = f"/v1/sites/{site.slug}/comments"
    allowed = await client.options(
        path, headers={"Origin": "https://daily.example", "Access-Control-Request-Method": "POST"}
    )
    assert allowed.status == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://daily.example"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    refused = await client.options(
        path, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "Access-Control-Allow-Origin" not in refused.headers
    posted = await client.post(
        path, json=comment_payload(), headers={"Origin": "https://daily.example"}
    )
    assert posted.headers["Access-Control-Allow-Origin"] == "https://daily.example"
    invalid = await client.post(path, json={}, headers={"Origin": "https://daily.example"})
    assert invalid.status == 422
    assert invalid.headers["Access-Control-Allow-Origin"] == "https://daily.example"


async def test_a_thread_read_is_cacheable_and_revalidates_with_304(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(client, site)
    await approve(client, site, comment["id"])
    path, params = f"/v1/sites/{site.slug}/comments", {"thread": "politics/2026/elections"}
    first = await client.get(path, params=params)
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = await client.get(path, params=params, headers={"If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag
    await approve(client, site, (await post_comment(client, site, body="جديد"))["id"])
    changed = await client.get(path, params=params, headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag


async def test_a_request_id_is_echoed_or_generated(client: TestClient, site: SiteFixture) -> None:
    ok = await client.get("/healthz", headers={"X-Request-ID": "abc-123.XYZ_9"})
    assert ok.headers["X-Request-ID"] == "abc-123.XYZ_9"
    hostile = await client.get("/healthz", headers={"X-Request-ID": "bad id\u202e<script>"})
    assert hostile.headers["X-Request-ID"] != "bad id\u202e<script>"
    assert len(hostile.headers["X-Request-ID"]) == 32


async def test_many_comments_posted_at_once_are_all_stored(
    client: TestClient, site: SiteFixture
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(f"/v1/sites/{site.slug}/comments", json=comment_payload(body=f"تعليق {i}"))
            for i in range(40)
        )
    )
    assert [r.status for r in responses] == [202] * 40
    assert await client.app[POOL].fetchval("SELECT count(*) FROM comments") == 40


async def test_an_approval_on_one_instance_shows_on_another_at_once(
    aiohttp_client: Any, client: TestClient, site: SiteFixture, settings: Settings
) -> None:
    reader = await aiohttp_client(create_app(settings))
    path, params = f"/v1/sites/{site.slug}/comments", {"thread": "politics/2026/elections"}
    assert (await (await reader.get(path, params=params)).json())["items"] == []  # now cached
    comment = await post_comment(client, site)
    await approve(client, site, comment["id"])
    started = time.monotonic()

    async def items_shown() -> list[Any]:
        items: list[Any] = (await (await reader.get(path, params=params)).json())["items"]
        return items

    items = await eventually(items_shown, message="the approved comment was not shown")
    # Far inside the cache lifetime: the change was announced, not waited out.
    assert time.monotonic() - started < min(1.0, THREAD_CACHE_LIFETIME / 2)
    assert [i["id"] for i in items] == [comment["id"]]


async def test_a_taken_down_comment_leaves_the_cached_thread(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(client, site)
    await approve(client, site, comment["id"])
    path, params = f"/v1/sites/{site.slug}/comments", {"thread": "politics/2026/elections"}
    await eventually(lambda: client.app[THREADS].listening)  # so the page below is cached
    assert len((await (await client.get(path, params=params)).json())["items"]) == 1
    taken_down = await client.post(
        f"/v1/comments/{comment['id']}/reject",
        json={"reason": "abusive", "expected_status": "approved"},
        headers=site.auth(),
    )
    assert taken_down.status == 200, await taken_down.text()
    assert (await (await client.get(path, params=params)).json())["items"] == []


async def test_log_lines_never_carry_the_email_or_the_token(
    client: TestClient, site: SiteFixture
) -> None:
    with structlog.testing.capture_logs() as logs:
        comment = await post_comment(client, site, email="secret.person@example.com")
        await approve(client, site, comment["id"])
        await client.post(f"/v1/sites/{site.slug}/comments", json=comment_payload(body=""))
    assert any(entry["event"] == "request" and entry["status"] == 202 for entry in logs)
    assert any(entry["event"] == "comment_received" for entry in logs)
    text = repr(logs)
    assert "secret.person" not in text and "example.com" not in text
    assert site.moderator not in text


def test_the_log_redactor_hides_personal_keys() -> None:
    event = logs_module._redact(None, "info", {"event": "x", "email": "a@b.c", "ip": "1.2.3.4"})
    assert event == {"event": "x", "email": "[redacted]", "ip": "[redacted]"}


async def test_a_crowd_of_readers_of_a_changed_thread_builds_its_page_once(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(client, site)
    await approve(client, site, comment["id"])
    cache = client.app[THREADS]
    await eventually(lambda: cache.listening)  # the listener connects in the background
    builds = 0
    release = asyncio.Event()

    async def slow_build() -> bytes:
        nonlocal builds
        builds += 1
        await release.wait()
        return b'{"items":[],"next_cursor":null}'

    readers = [
        asyncio.create_task(cache.get_or_build(1, "t", None, 50, slow_build)) for _ in range(20)
    ]
    await eventually(lambda: builds == 1)  # every reader has asked by then: they start in order
    release.set()
    pages = await asyncio.gather(*readers)
    assert builds == 1
    assert len({page.etag for page in pages}) == 1
    assert cache.get(1, "t", None, 50) is pages[0]


async def test_a_page_built_across_a_change_is_not_kept(
    client: TestClient, site: SiteFixture
) -> None:
    cache = client.app[THREADS]
    await eventually(lambda: cache.listening)
    release, building = asyncio.Event(), asyncio.Event()

    async def build_before_the_change() -> bytes:
        building.set()
        await release.wait()
        return b"old"

    reader = asyncio.create_task(cache.get_or_build(1, "t", None, 50, build_before_the_change))
    await eventually(building.is_set)
    cache.invalidate(1, "t")  # the change commits while the old page is being built
    release.set()
    assert (await reader).body == b"old"  # that reader asked before the change
    await asyncio.sleep(0)
    assert cache.get(1, "t", None, 50) is None
