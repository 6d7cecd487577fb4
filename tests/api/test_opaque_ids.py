"""Public ids reveal nothing about other tenants' volume, and keyset pages stay exact now that
ids are not in time order."""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp.test_utils import TestClient

from moderation.db import POOL
from tests.conftest import SiteFixture, approve, post_comment

JS_SAFE = 2**53


async def test_ids_of_interleaved_sites_are_neither_consecutive_nor_in_order(
    client: TestClient, site: SiteFixture, other_site: SiteFixture
) -> None:
    posted: list[int] = []
    for n in range(12):
        poster = site if n % 3 else other_site
        comment = await post_comment(client, poster, body=f"تعليق رقم {n}", email=f"r{n}@x.org")
        assert comment["id"].isdigit() and 0 < int(comment["id"]) < JS_SAFE
        posted.append(int(comment["id"]))
    steps = [b - a for a, b in itertools.pairwise(posted)]
    # With one sequence, site b's first comment came right after site a's last: +1 each time.
    assert all(abs(step) > 1_000_000 for step in steps), steps
    assert posted != sorted(posted)
    assert len(set(posted)) == len(posted)


async def same_moment(client: TestClient, table: str) -> None:
    """Every row of `table` made at one instant, as rows written by one transaction are."""
    await client.app[POOL].execute(f"UPDATE {table} SET created_at = '2026-03-01T12:00:00Z'")


async def all_pages(client: TestClient, path: str, headers: dict[str, str], **query: Any) -> Any:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        params = {**query, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=params, headers=headers)
        assert response.status == 200, await response.text()
        page = await response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the pages never ended")


async def test_pages_are_exact_across_many_comments_made_at_the_same_instant(
    client: TestClient, site: SiteFixture
) -> None:
    ids = [
        (await post_comment(client, site, body=f"رقم {n}", email=f"a{n}@x.org"))["id"]
        for n in range(45)
    ]
    await same_moment(client, "comments")
    pending = await all_pages(
        client, f"/v1/sites/{site.slug}/queue", site.auth(), status="pending", limit="7"
    )
    assert sorted(c["id"] for c in pending) == sorted(ids)
    assert [int(c["id"]) for c in pending] == sorted(int(i) for i in ids)  # ties: by id
    for comment_id in ids:
        await approve(client, site, comment_id)
    thread = await all_pages(
        client, f"/v1/sites/{site.slug}/comments", {}, thread="politics/2026/elections", limit="10"
    )
    assert [c["id"] for c in thread] == [c["id"] for c in pending]
    decided = await all_pages(
        client, f"/v1/sites/{site.slug}/queue", site.auth(), status="approved", limit="6"
    )
    assert sorted(c["id"] for c in decided) == sorted(ids) and len(decided) == len(ids)
