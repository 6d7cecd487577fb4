"""moderation/store/claims.py on real PostgreSQL."""

from __future__ import annotations

from asyncpg.pool import PoolConnectionProxy

from moderation.domain import Site, Status
from moderation.store import claims
from tests.store.conftest import add_comment

THREAD = "politics/2026/elections"


async def test_pending_comments_are_leased_to_one_claimant_at_a_time(
    conn: PoolConnectionProxy, site: Site
) -> None:
    first = await add_comment(conn, site, body_text="الأول")
    second = await add_comment(conn, site, body_text="الثاني")
    await add_comment(conn, site, status=Status.APPROVED)  # never claimed
    assert await claims.claim_more(conn, site.id, "a", 1, 60.0, None, flagged_first=False) == 1
    assert await claims.claim_more(conn, site.id, "b", 5, 60.0, None, flagged_first=False) == 1
    held_by_a = await claims.held(conn, site.id, "a", None, flagged_first=False)
    held_by_b = await claims.held(conn, site.id, "b", None, flagged_first=False)
    assert [c.id for c in held_by_a] == [first.id]
    assert [c.id for c in held_by_b] == [second.id]
    await claims.release(conn, site.id, first.id)
    assert await claims.held(conn, site.id, "a", None, flagged_first=False) == []
    assert await claims.claim_more(conn, site.id, "b", 5, 60.0, None, flagged_first=False) == 1


async def test_a_lapsed_lease_is_taken_over_and_renewal_keeps_only_live_ones(
    conn: PoolConnectionProxy, site: Site
) -> None:
    comment = await add_comment(conn, site)
    assert await claims.claim_more(conn, site.id, "a", 5, 0.0, None, flagged_first=False) == 1
    await claims.renew(conn, site.id, "a", 60.0)  # already lapsed: not renewed
    assert await claims.held(conn, site.id, "a", None, flagged_first=False) == []
    assert await claims.claim_more(conn, site.id, "b", 5, 60.0, None, flagged_first=False) == 1
    held = await claims.held(conn, site.id, "b", None, flagged_first=False)
    assert [c.id for c in held] == [comment.id]


async def test_flagged_first_and_one_thread(conn: PoolConnectionProxy, site: Site) -> None:
    plain = await add_comment(conn, site)
    flagged = await add_comment(conn, site, flags=[{"kind": "suspect", "term": "كذب"}])
    elsewhere = await add_comment(conn, site, thread="sports/final")
    assert await claims.claim_more(conn, site.id, "a", 5, 60.0, None, flagged_first=True) == 3
    held = await claims.held(conn, site.id, "a", None, flagged_first=True)
    assert [c.id for c in held] == [flagged.id, plain.id, elsewhere.id]
    await claims.release_outside_thread(conn, site.id, "a", THREAD)
    held = await claims.held(conn, site.id, "a", THREAD, flagged_first=False)
    assert [c.id for c in held] == [plain.id, flagged.id]
    await claims.release_all(conn, site.id, "a")
    assert await claims.held(conn, site.id, "a", None, flagged_first=False) == []
