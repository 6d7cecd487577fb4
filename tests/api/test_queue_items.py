"""Queue items are written by the database (store.comments), single comments by views.py:
both must say the same of every comment, in every state a queue can show it in."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from moderation import service
from moderation.db import POOL
from moderation.domain import SiteSettings
from moderation.queueitems import QUEUE_ITEMS
from moderation.sealing import Place
from moderation.store import sites
from tests.conftest import (
    TEST_KEYS,
    SiteFixture,
    approve,
    comment_payload,
    post_comment,
    reject,
)

THREAD = "politics/2026/elections"


async def queue(client: TestClient, site: SiteFixture, status: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/sites/{site.slug}/queue",
        params={"status": status, "limit": "200"},
        headers=site.auth(),
    )
    assert response.status == 200, await response.text()
    return list((await response.json())["items"])


async def detail(client: TestClient, site: SiteFixture, comment_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/comments/{comment_id}", headers=site.auth())
    assert response.status == 200, await response.text()
    view = dict(await response.json())
    del view["history"]
    return view


async def a_queue_of_every_kind(client: TestClient, site: SiteFixture) -> dict[str, str]:
    """Comments in every state a queue shows, by what makes each one different."""
    pool = client.app[POOL]
    row = await sites.site_by_slug(pool, site.slug)
    assert row is not None
    await service.admin.save_settings(
        pool, row, SiteSettings(flood_seconds=0, hourly_limit=0, suspect_terms=("كذب",))
    )
    ids: dict[str, str] = {}
    parent = await post_comment(client, site, body="التعليق الأصلي")
    await approve(client, site, parent["id"])
    ids["approved by a token"] = parent["id"]
    ids["a reply, with markup, a link and a website"] = (
        await post_comment(
            client,
            site,
            parent_id=parent["id"],
            name='Layla "the quoted" <b>',
            email="layla@example.com",
            website="https://layla.example/مدونة",
            body='See <b>this</b> & <a href="https://news.example/x?a=1&b=2">that</a>\n\n'
            '— \\ "quoted" \t tab https://example.com/مقال',
        )
    )["id"]
    ids["flagged, Arabic"] = (await post_comment(client, site, body="هذا كذب واضح"))["id"]
    rejected = await post_comment(client, site, body="مرفوض", email="omar@example.com")
    await reject(client, site, rejected["id"], reason="hate_speech", note="تحريض")
    ids["rejected with a reason"] = rejected["id"]
    spam = await client.post(
        f"/v1/sites/{site.slug}/comments",
        data={**comment_payload(body="spam spam"), "url": "http://buy.example"},
    )
    ids["spam, decided by the system"] = (await spam.json())["id"]
    ids["an address still plain"] = (await post_comment(client, site, body="قديم"))["id"]
    ids["an address that does not open"] = (await post_comment(client, site, body="مختوم"))["id"]
    ids["an erased author"] = (
        await post_comment(client, site, body="سأمحو بياناتي", email="gone@example.com")
    )["id"]
    ids["proven, posted on a whole second"] = (await post_comment(client, site, body="دقيق"))["id"]
    erase = await client.post(
        f"/v1/sites/{site.slug}/data-subjects/erase",
        json={"email": "gone@example.com", "mode": "anonymize"},
        headers=site.auth(site.admin),
    )
    assert erase.status == 200, await erase.text()
    await pool.execute(
        """UPDATE comments SET email = 'old@example.com', email_sealed = NULL, email_key = NULL
            WHERE id = $1""",
        int(ids["an address still plain"]),
    )
    other_place = TEST_KEYS.seal(Place.REPORTER_EMAIL, row.id, "moved@example.com")
    await pool.execute(
        "UPDATE comments SET email_sealed = $2 WHERE id = $1",
        int(ids["an address that does not open"]),
        other_place.blob,
    )
    await pool.execute(
        "UPDATE comments SET proven = true, created_at = date_trunc('second', now()) WHERE id = $1",
        int(ids["proven, posted on a whole second"]),
    )
    return ids


async def test_a_queue_item_says_what_the_comment_alone_says_plus_its_authors_record(
    client: TestClient, site: SiteFixture
) -> None:
    ids = await a_queue_of_every_kind(client, site)
    seen: dict[str, dict[str, Any]] = {}
    for status in ("pending", "approved", "rejected", "spam"):
        for item in await queue(client, site, status):
            author = item.pop("author")
            assert item == await detail(client, site, item["id"])
            seen[item["id"]] = {**item, "author": author}
    assert set(seen) == set(ids.values())
    # Asked again, the views come from what this instance kept: the same items.
    assert len(client.app[QUEUE_ITEMS]) == len(ids)
    for item in await queue(client, site, "pending"):
        assert item == seen[item["id"]]
    by_kind = {kind: seen[i] for kind, i in ids.items()}
    # Sara wrote the approved parent, the spam and most pending ones; Omar the rejected one.
    assert by_kind["flagged, Arabic"]["author"] == {"approved": 1, "rejected": 1}
    assert [f["term"] for f in by_kind["flagged, Arabic"]["flags"]] == ["كذب"]
    assert by_kind["rejected with a reason"]["author"] == {"approved": 0, "rejected": 1}
    assert by_kind["rejected with a reason"]["decided_by"].startswith("token:")
    assert by_kind["spam, decided by the system"]["decided_by"] == "system"
    assert by_kind["an erased author"]["author"] == {"approved": 0, "rejected": 0}
    assert by_kind["an erased author"]["email"] is None
    assert by_kind["an erased author"]["email_unavailable"] is False
    assert by_kind["an address still plain"]["email"] == "old@example.com"
    assert by_kind["an address that does not open"]["email_unavailable"] is True
    whole = by_kind["proven, posted on a whole second"]
    assert whole["proven"] is True
    assert "." not in whole["created_at"] and whole["created_at"].endswith("Z")
    reply = by_kind["a reply, with markup, a link and a website"]
    assert reply["parent_id"] == ids["approved by a token"] and reply["site"] == site.slug


async def test_a_claimed_batch_holds_the_same_items_as_the_queue(
    client: TestClient, site: SiteFixture
) -> None:
    await a_queue_of_every_kind(client, site)
    pending = await queue(client, site, "pending")
    response = await client.post(
        f"/v1/sites/{site.slug}/queue/claim", json={"limit": 100}, headers=site.auth()
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["items"] == pending


async def test_a_changed_comment_is_never_answered_from_a_kept_view(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(client, site, name="سارة أحمد", email="sara@example.com")
    await post_comment(client, site, body="تعليق آخر", email="omar@example.com")
    [first, _] = await queue(client, site, "pending")
    assert first["name"] == "سارة أحمد" and first["email"] == "sara@example.com"
    assert len(client.app[QUEUE_ITEMS]) == 2
    erase = await client.post(
        f"/v1/sites/{site.slug}/data-subjects/erase",
        json={"email": "sara@example.com", "mode": "anonymize"},
        headers=site.auth(site.admin),
    )
    assert erase.status == 200, await erase.text()
    [after, other] = await queue(client, site, "pending")
    assert after.pop("author") == {"approved": 0, "rejected": 0}  # no address: no record
    assert after["id"] == comment["id"] and after == await detail(client, site, comment["id"])
    assert after["name"] != "سارة أحمد" and after["email"] is None
    assert other["email"] == "omar@example.com"
    # A decision moves it out of this queue and into the next, with its new status.
    await approve(client, site, other["id"])
    [approved] = await queue(client, site, "approved")
    assert approved["status"] == "approved" and approved["author"]["approved"] == 1
