"""Claims: each moderator reviews a batch nobody else holds; a decision releases it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from moderation import service
from moderation.db import POOL
from moderation.domain import Role, Status
from moderation.store import comments
from tests.conftest import SiteFixture, approve, post_comment

pytestmark = pytest.mark.through_pgbouncer


async def claim(
    client: TestClient, site: SiteFixture, token: str | None = None, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/sites/{site.slug}/queue/claim", json=body, headers=site.auth(token)
    )
    assert response.status == 200, await response.text()
    return await response.json()


def ids(batch: dict[str, Any]) -> list[str]:
    return [item["id"] for item in batch["items"]]


async def test_two_moderators_never_claim_the_same_comment(
    client: TestClient, site: SiteFixture
) -> None:
    posted = [await post_comment(client, site, body=f"تعليق رقم {n}") for n in range(5)]
    _, second = await service.admin.create_token(client.app[POOL], site.slug, Role.MODERATOR)
    first_batch = await claim(client, site, limit=3)
    second_batch = await claim(client, site, second, limit=3)
    assert ids(first_batch) == [c["id"] for c in posted[:3]]  # oldest first
    assert ids(second_batch) == [c["id"] for c in posted[3:]]
    again = await claim(client, site, limit=3)
    assert ids(again) == ids(first_batch)  # a claim is renewed, not reshuffled


async def test_concurrent_claims_split_the_queue(client: TestClient, site: SiteFixture) -> None:
    for n in range(20):
        await post_comment(client, site, body=f"تعليق متزامن {n}")
    tokens = [
        (await service.admin.create_token(client.app[POOL], site.slug, Role.MODERATOR))[1]
        for _ in range(4)
    ]
    batches = await asyncio.gather(*(claim(client, site, t, limit=8) for t in tokens))
    claimed = [i for b in batches for i in ids(b)]
    assert len(claimed) == len(set(claimed)) == 20


async def test_a_decision_releases_the_claim_and_the_item_leaves_the_batch(
    client: TestClient, site: SiteFixture
) -> None:
    first = await post_comment(client, site, body="الأول")
    second = await post_comment(client, site, body="الثاني")
    assert ids(await claim(client, site, limit=1)) == [first["id"]]
    await approve(client, site, first["id"])
    assert await client.app[POOL].fetchval("SELECT count(*) FROM comment_claims") == 0
    assert ids(await claim(client, site, limit=1)) == [second["id"]]


async def test_an_expired_lease_can_be_claimed_by_another(
    client: TestClient, site: SiteFixture
) -> None:
    comment = await post_comment(client, site)
    _, second = await service.admin.create_token(client.app[POOL], site.slug, Role.MODERATOR)
    assert ids(await claim(client, site)) == [comment["id"]]
    assert ids(await claim(client, site, second)) == []
    await client.app[POOL].execute("UPDATE comment_claims SET until = now() - interval '1 s'")
    assert ids(await claim(client, site, second)) == [comment["id"]]
    assert ids(await claim(client, site)) == []


async def test_the_batch_has_counts_flags_first_and_the_authors_history(
    client: TestClient, site: SiteFixture
) -> None:
    settings = await client.patch(
        f"/v1/sites/{site.slug}/settings",
        json={"suspect_terms": ["كذب"]},
        headers=site.auth(site.admin),
    )
    assert settings.status == 200
    old = await post_comment(client, site, body="تعليق قديم", email="regular@example.com")
    await approve(client, site, old["id"])
    plain = await post_comment(client, site, body="تعليق عادي", email="regular@example.com")
    flagged = await post_comment(client, site, body="هذا كذب واضح", email="new@example.com")
    batch = await claim(client, site, flagged_first=True)
    assert ids(batch) == [flagged["id"], plain["id"]]
    assert batch["counts"] == {"pending": 2, "approved": 1, "rejected": 0, "spam": 0}
    by_id = {i["id"]: i for i in batch["items"]}
    assert by_id[plain["id"]]["author"] == {"approved": 1, "rejected": 0}
    assert by_id[plain["id"]]["email"] == "regular@example.com"
    assert by_id[flagged["id"]]["flags"][0]["term"] == "كذب"
    assert batch["lease_seconds"] >= 60


async def test_claims_filter_by_thread_and_check_their_fields(
    client: TestClient, site: SiteFixture
) -> None:
    await post_comment(client, site, body="سياسة")
    oil = await post_comment(client, site, body="نفط", thread="economy/oil")
    assert ids(await claim(client, site, thread="economy/oil")) == [oil["id"]]
    for body in ({"limit": 0}, {"limit": 101}, {"limit": "5"}, {"flagged_first": "yes"}):
        response = await client.post(
            f"/v1/sites/{site.slug}/queue/claim", json=body, headers=site.auth()
        )
        assert response.status == 422


async def test_another_sites_token_cannot_claim_and_release_lets_go(
    client: TestClient, site: SiteFixture, other_site: SiteFixture
) -> None:
    comment = await post_comment(client, site)
    stranger = await client.post(
        f"/v1/sites/{site.slug}/queue/claim", json={}, headers=other_site.auth()
    )
    assert stranger.status == 404
    assert ids(await claim(client, site)) == [comment["id"]]
    released = await client.delete(f"/v1/sites/{site.slug}/queue/claim", headers=site.auth())
    assert released.status == 204
    assert await client.app[POOL].fetchval("SELECT count(*) FROM comment_claims") == 0


async def test_narrowing_to_one_thread_lets_go_of_the_others(
    client: TestClient, site: SiteFixture
) -> None:
    politics = await post_comment(client, site, body="سياسة")
    await post_comment(client, site, body="نفط", thread="economy/oil")
    _, second = await service.admin.create_token(client.app[POOL], site.slug, Role.MODERATOR)
    assert len(ids(await claim(client, site))) == 2
    await claim(client, site, thread="economy/oil")
    assert ids(await claim(client, site, second)) == [politics["id"]]


async def test_counts_stop_at_the_cap(client: TestClient, site: SiteFixture) -> None:
    for n in range(3):
        await post_comment(client, site, body=f"تعليق {n}")
    pool = client.app[POOL]
    site_id = await pool.fetchval("SELECT id FROM sites WHERE slug = $1", site.slug)
    async with pool.acquire() as conn:
        counts = await comments.status_counts(conn, site_id, 2)
    assert counts == {Status.PENDING: 2, Status.APPROVED: 0, Status.REJECTED: 0, Status.SPAM: 0}
