"""moderation/store/comments.py on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest
from asyncpg.pool import PoolConnectionProxy

from moderation.domain import Comment, Site, Status
from moderation.pagination import Cursor, decode_cursor, encode_position
from moderation.sealing import Place
from moderation.store import comments
from moderation.store.ratelimits import Bucket
from moderation.views import iso
from tests.conftest import TEST_KEYS as KEYS
from tests.store.conftest import add_comment, email_hash, moderator

THREAD = "politics/2026/elections"
EPOCH, MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)


async def decide(
    conn: PoolConnectionProxy,
    comment: Comment,
    to: Status,
    reason: str | None = None,
    decided_by: int | None = None,
) -> Comment | None:
    return await comments.change_status(
        conn,
        comment.site_id,
        comment.id,
        expected=Status.PENDING,
        to=to,
        reason=reason,
        decided_by=decided_by,
    )


async def test_an_inserted_comment_reads_back_the_same(
    conn: PoolConnectionProxy, site: Site
) -> None:
    written = await add_comment(conn, site, flags=[{"kind": "suspect", "term": "كذب"}])
    assert written.status is Status.PENDING and written.decided_at is None
    assert await comments.get(conn, site.id, written.id) == written
    assert await comments.get(conn, site.id + 1, written.id) is None  # another site's: absent
    assert await comments.status_of(conn, site.id, written.id) is Status.PENDING


async def test_a_comment_inserted_decided_has_its_decision_time(
    conn: PoolConnectionProxy, site: Site
) -> None:
    written = await add_comment(conn, site, status=Status.APPROVED)
    assert written.decided_at is not None


async def test_a_thread_pages_oldest_first_by_keyset(conn: PoolConnectionProxy, site: Site) -> None:
    ids = [
        (await add_comment(conn, site, status=Status.APPROVED, body_text=f"رقم {n}")).id
        for n in range(5)
    ]
    await add_comment(conn, site)  # pending: never public
    await add_comment(conn, site, status=Status.APPROVED, thread="sports/final")
    first = await comments.approved_in_thread(conn, site.id, THREAD, None, 3)
    assert [c.id for c in first] == ids[:3]
    last = first[-1]
    rest = await comments.approved_in_thread(
        conn, site.id, THREAD, Cursor(last.created_at, last.id), 3
    )
    assert [c.id for c in rest] == ids[3:]


async def test_the_queue_lists_pending_oldest_first_and_flagged_first_on_request(
    conn: PoolConnectionProxy, site: Site
) -> None:
    plain = await add_comment(conn, site, body_text="first")
    flagged = await add_comment(conn, site, flags=[{"kind": "suspect", "term": "spam"}])
    other_thread = await add_comment(conn, site, thread="sports/final")
    page = await comments.queue_page(conn, site.id, Status.PENDING, None, None, 10)
    assert [c.id for c in page] == [plain.id, flagged.id, other_thread.id]
    page = await comments.queue_page(
        conn, site.id, Status.PENDING, None, None, 10, flagged_first=True
    )
    assert [c.id for c in page] == [flagged.id, plain.id, other_thread.id]
    first = page[0]
    assert (first.at, first.flagged) == ((flagged.created_at - EPOCH) // MICROSECOND, True)
    after = decode_cursor(encode_position(first.at, first.id, flagged=True))
    page = await comments.queue_page(
        conn, site.id, Status.PENDING, THREAD, after, 10, flagged_first=True
    )
    assert [c.id for c in page] == [plain.id]


async def test_decided_comments_list_newest_decision_first(
    conn: PoolConnectionProxy, site: Site
) -> None:
    actor = await moderator(conn, site)
    older, newer = await add_comment(conn, site), await add_comment(conn, site)
    for comment in (older, newer):
        await decide(conn, comment, Status.REJECTED, "abusive", actor.token_id)
    page = await comments.queue_page(conn, site.id, Status.REJECTED, None, None, 10)
    assert [c.id for c in page] == [newer.id, older.id]


async def test_a_status_change_is_guarded_by_the_expected_status(
    conn: PoolConnectionProxy, site: Site
) -> None:
    comment = await add_comment(conn, site)
    approved = await decide(conn, comment, Status.APPROVED)
    assert approved is not None and approved.status is Status.APPROVED
    assert approved.decided_at is not None
    again = await decide(conn, comment, Status.REJECTED, "late")
    assert again is None
    assert await comments.status_of(conn, site.id, comment.id) is Status.APPROVED


async def admit(
    conn: PoolConnectionProxy,
    site: Site,
    author: bytes,
    thread: str,
    duplicate_key: bytes,
    *,
    parent_id: int | None,
    token_hash: bytes | None = None,
    buckets: tuple[Bucket, ...] = (),
) -> comments.Admission:
    async with conn.transaction():
        return await comments.admit(
            conn,
            site.id,
            author,
            buckets,
            thread,
            duplicate_key,
            token_hash=token_hash,
            parent_id=parent_id,
            may_trust=True,
        )


async def test_admission_answers_limits_proof_parent_duplicate_and_trust_in_one_call(
    conn: PoolConnectionProxy, site: Site
) -> None:
    author = email_hash("layla@example.com")
    parent = await add_comment(conn, site, status=Status.APPROVED, duplicate_key=b"same")
    token = b"t" * 32
    await conn.execute("INSERT INTO authors (site_id, email_hash) VALUES ($1, $2)", site.id, author)
    await conn.execute(
        """INSERT INTO author_tokens (site_id, email_hash, token_hash, expires_at)
           VALUES ($1, $2, $3, now() + interval '1 day')""",
        site.id,
        author,
        token,
    )
    found = await admit(conn, site, author, THREAD, b"same", parent_id=parent.id)
    assert found == comments.Admission(None, False, parent_ok=True, duplicate=True, trusted=False)
    stranger = email_hash("omar@example.com")
    found = await admit(conn, site, stranger, "sports/final", b"same", parent_id=parent.id)
    assert found == comments.Admission(None, False, parent_ok=False, duplicate=False, trusted=False)
    found = await admit(conn, site, author, THREAD, b"other", parent_id=None)
    assert found == comments.Admission(None, False, parent_ok=True, duplicate=False, trusted=False)
    # The token proves the address (and the address's approved comment earns trust); another
    # address's token, or an unknown one, proves nothing.
    found = await admit(conn, site, author, THREAD, b"other", parent_id=None, token_hash=token)
    assert found == comments.Admission(None, True, parent_ok=True, duplicate=False, trusted=True)
    for who, held in ((stranger, token), (author, b"u" * 32)):
        found = await admit(conn, site, who, THREAD, b"other", parent_id=None, token_hash=held)
        assert not found.proven and not found.trusted
    # A limit that refuses: the wait, and nothing else asked.
    once = (Bucket("author:layla", interval=600.0, tolerance=0.0),)
    assert (
        await admit(conn, site, author, THREAD, b"x", parent_id=None, buckets=once)
    ).wait is None
    refused = await admit(conn, site, author, THREAD, b"x", parent_id=None, buckets=once)
    assert refused.wait is not None and 590 < refused.wait <= 600
    assert not (refused.proven or refused.parent_ok or refused.duplicate or refused.trusted)


async def test_counts_are_capped_and_per_status(conn: PoolConnectionProxy, site: Site) -> None:
    for _ in range(3):
        await add_comment(conn, site)
    await add_comment(conn, site, status=Status.APPROVED)
    counts = await comments.status_counts(conn, site.id, 2)
    assert counts[Status.PENDING] == 2 and counts[Status.APPROVED] == 1
    assert counts[Status.REJECTED] == 0
    assert await comments.pending_count(conn, 10) == 3


async def test_a_queue_item_carries_its_authors_history_on_the_site(
    conn: PoolConnectionProxy, site: Site
) -> None:
    await add_comment(conn, site, status=Status.APPROVED)
    await add_comment(conn, site, status=Status.REJECTED, reason="abusive")
    await add_comment(conn, site, status=Status.SPAM, reason="spam")
    layla = await add_comment(conn, site)
    other = "sam@example.com"
    sam = await add_comment(conn, site, email=other, email_hash=email_hash(other))
    page = await comments.queue_page(conn, site.id, Status.PENDING, None, None, 10)
    assert {row.id: (row.approved, row.rejected) for row in page} == {
        layla.id: (1, 2),
        sam.id: (0, 0),
    }
    addresses = KEYS.readable_columns(Place.COMMENT_EMAIL, site.id, [r[2:5] for r in page])
    assert addresses == ["layla@example.com", other]


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 11, 30, 4, 29, 49, 123456, tzinfo=UTC),
        datetime(2026, 11, 30, 4, 29, 49, tzinfo=UTC),  # no microseconds: none written
        datetime(2026, 1, 2, 3, 4, 5, 50, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2027, 3, 28, 2, 30, 0, 100000, tzinfo=timezone(timedelta(hours=3))),
    ],
)
async def test_times_in_the_databases_json_read_as_views_iso_writes_them(
    conn: PoolConnectionProxy, at: datetime
) -> None:
    await conn.execute("SET TimeZone = 'Asia/Riyadh'")  # the session's zone changes nothing
    written = await conn.fetchval(f"SELECT {comments._iso('$1::timestamptz')}", at)
    assert written == iso(at.astimezone(UTC))
    assert await conn.fetchval(f"SELECT {comments._iso('NULL::timestamptz')}") is None


async def test_a_comment_is_stored_sealed_and_must_keep_an_address_unless_erased(
    conn: PoolConnectionProxy, site: Site
) -> None:
    written = await add_comment(conn, site, email="ليلى@مثال.مصر")
    row = await conn.fetchrow(
        "SELECT email, email_sealed, email_key FROM comments WHERE id = $1", written.id
    )
    assert row["email"] is None and row["email_key"] == 1
    assert "ليلى".encode() not in row["email_sealed"]
    assert written.email is not None and KEYS.reveal(written.email) == "ليلى@مثال.مصر"
    # Sealed or plain (a row from before 0014), an address stays until an erase; its sealed
    # value never goes without its key id.
    for change in (
        "SET email_sealed = NULL, email_key = NULL",
        "SET email_key = NULL",
        "SET email_key = 0",
        "SET email_sealed = '\\x00'::bytea",
    ):
        with pytest.raises(asyncpg.CheckViolationError):
            async with conn.transaction():
                await conn.execute(f"UPDATE comments {change} WHERE id = $1", written.id)
    await conn.execute(
        "UPDATE comments SET email = 'layla@example.com', email_sealed = NULL, email_key = NULL"
        " WHERE id = $1",
        written.id,
    )
    await conn.execute(
        "UPDATE comments SET email = NULL, email_hash = NULL, erased = 'anonymized' WHERE id = $1",
        written.id,
    )


async def test_a_row_of_every_column_maps_by_position_as_it_would_by_name(
    conn: PoolConnectionProxy, site: Site
) -> None:
    """Comment.from_row takes a row of COMMENT_COLUMNS by position: the same as by name."""
    written = await add_comment(
        conn, site, flags=[{"kind": "link", "count": "3"}], body_text="تعليق with links"
    )
    row = await conn.fetchrow(
        f"SELECT {comments.COMMENT_COLUMNS} FROM comments WHERE site_id = $1 AND id = $2",
        site.id,
        written.id,
    )
    by_position = Comment.from_row(row)
    shuffled = dict(reversed(list(dict(row).items())))  # not in field order: mapped by name
    assert by_position == Comment.from_row(shuffled) == written
    assert by_position.status is Status.PENDING and by_position.flags == (
        {"kind": "link", "count": "3"},
    )


QUEUE_SHAPES = [
    (status, flagged_first, thread, after)
    for status in (Status.PENDING, Status.REJECTED)
    for flagged_first in (False, True)
    for thread in (None, THREAD)
    for after in (False, True)
]


@pytest.mark.parametrize(("status", "flagged_first", "thread", "after"), QUEUE_SHAPES)
async def test_every_queue_shape_pages_through_its_comments_one_at_a_time(
    conn: PoolConnectionProxy,
    site: Site,
    status: Status,
    flagged_first: bool,
    thread: str | None,
    after: bool,
) -> None:
    actor = await moderator(conn, site)
    made = []
    for n, (where, flags) in enumerate(
        [(THREAD, []), ("sports/final", []), (THREAD, [{"kind": "suspect", "term": "كذب"}])] * 2
    ):
        comment = await add_comment(conn, site, thread=where, flags=flags, body_text=f"تعليق {n}")
        if status != Status.PENDING:
            decided = await decide(conn, comment, status, "abusive", actor.token_id)
            assert decided is not None
            comment = decided
        made.append(comment)
    wanted = [c for c in made if thread is None or c.thread == thread]
    if status == Status.PENDING:
        wanted.sort(key=lambda c: (c.created_at, c.id))
    else:
        wanted.sort(key=lambda c: (c.decided_at, c.id), reverse=True)
    if flagged_first:
        wanted.sort(key=lambda c: not c.flags)  # stable: the order above within each group
    seen: list[int] = []
    cursor = None
    while len(seen) <= len(made):
        page = await comments.queue_page(
            conn, site.id, status, thread, cursor, 1, flagged_first=flagged_first
        )
        if not page:
            break
        seen.append(page[0].id)
        last = page[0]
        cursor = decode_cursor(
            encode_position(last.at, last.id, last.flagged if flagged_first else None)
        )
        if not after:  # the first page alone, for the shapes without a cursor
            break
    assert seen == [c.id for c in wanted][: len(seen)]
    assert len(seen) == (len(wanted) if after else 1)


@pytest.mark.parametrize(("flagged_first", "thread", "after"), [s[1:] for s in QUEUE_SHAPES[:8]])
async def test_the_pending_queue_seeks_an_index_even_on_a_generic_plan(
    conn: PoolConnectionProxy, site: Site, flagged_first: bool, thread: str | None, after: bool
) -> None:
    """A prepared statement soon runs on a generic plan. A page whose statement could not use a
    partial index there (the status or the thread a parameter) read every pending comment of
    the site and sorted them: 12 ms for 4,000 pending. The queue here holds 4,000 pending
    comments in two threads, analyzed: on an empty table the planner may as well sort a
    bitmap scan's few rows, which says nothing."""
    seed = await add_comment(conn, site)
    await add_comment(conn, site, flags=[{"kind": "suspect", "term": "كذب"}])
    await conn.execute(
        """INSERT INTO comments (site_id, thread, parent_id, name, email_sealed, email_key,
                email_hash, website, body_text, body_html, body_dir, name_dir,
                renderer_version, status, flags, duplicate_key, created_at)
           SELECT site_id, CASE WHEN n % 2 = 0 THEN thread ELSE 'sports/final' END, parent_id,
                  name, email_sealed, email_key, email_hash, website, body_text, body_html,
                  body_dir, name_dir, renderer_version, status,
                  CASE WHEN n % 10 = 0 THEN '[{"kind": "suspect", "term": "x"}]'::jsonb
                       ELSE flags END,
                  duplicate_key, created_at + n * interval '1 ms'
             FROM comments, generate_series(1, 4000) AS n WHERE id = $1""",
        seed.id,
    )
    await conn.execute("ANALYZE comments")
    statement = comments._QUEUE_PAGE[True, flagged_first, thread is not None, after]
    types = ["bigint", "int"] + (["text"] if thread else [])
    if after:
        types += ["timestamptz", "bigint"] + (["boolean"] if flagged_first else [])
    async with conn.transaction():
        await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await conn.execute("SET LOCAL enable_seqscan = off")
        await conn.execute(f"PREPARE queue_shape({', '.join(types)}) AS {statement}")
        values = [str(site.id), "50"] + ([f"'{thread}'"] if thread else [])
        if after:
            values += ["now()", "0"] + (["false"] if flagged_first else [])
        try:
            explained = await conn.fetch(f"EXPLAIN EXECUTE queue_shape({', '.join(values)})")
            plan = "\n".join(r[0] for r in explained)
        finally:
            await conn.execute("DEALLOCATE queue_shape")
    assert "Sort" not in plan, plan
    assert "comments_pending" in plan, plan


async def test_authors_locked_elsewhere_are_skipped_and_the_rest_locked_in_order(
    conn: PoolConnectionProxy, site: Site, database_url: str
) -> None:
    layla, omar, sara = (email_hash(f"{n}@example.com") for n in ("layla", "omar", "sara"))
    other = await asyncpg.connect(database_url)
    try:
        async with other.transaction():
            await comments.lock_author(other, site.id, omar)  # omar is posting right now
            async with conn.transaction():
                taken = await comments.try_lock_authors(conn, site.id, [sara, omar, layla])
                assert taken == [sara, layla]
                # Held until this transaction ends: the other session cannot take them.
                assert await comments.try_lock_authors(other, site.id, [sara, layla]) == []
    finally:
        await other.close()
