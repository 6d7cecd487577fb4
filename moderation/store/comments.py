"""Comments SQL: insert, keyset pages, and guarded status changes."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from asyncpg import Record

from ..domain import Comment, QueueRow, Status
from ..pagination import Cursor
from ..sealing import Sealed
from . import Connection, ratelimits
from .ratelimits import Bucket

# NOTIFY channel announcing that a thread's approved comments changed ("site_id:thread").
THREAD_CHANNEL = "moderation_threads"

# The plain `email` (rows from before migration 0014) is read as Comment.email_plain.
COMMENT_COLUMNS = """site_id, id, thread, parent_id, name, email AS email_plain, email_sealed,
    email_key, email_hash, website, body_text,
    body_html, body_dir, name_dir, renderer_version, status, reason, decided_at, decided_by,
    created_at, flags, notify, page_url, proven, erased"""


@dataclass(frozen=True, slots=True)
class NewComment:
    site_id: int
    thread: str
    parent_id: int | None
    name: str
    # Sealed by the caller (settings.email_keys): the plain address is never written.
    email: Sealed
    email_hash: bytes
    website: str | None
    body_text: str
    body_html: str
    body_dir: str
    name_dir: str
    renderer_version: int
    status: Status
    reason: str | None
    client_ip: IPv4Address | IPv6Address | None
    request_id: str | None
    flags: list[dict[str, str]]
    duplicate_key: bytes | None
    notify: bool = False
    page_url: str | None = None
    proven: bool = False


async def insert(conn: Connection, new: NewComment) -> Comment:
    row = await conn.fetchrow(
        f"""INSERT INTO comments (site_id, thread, parent_id, name, email_sealed, email_hash,
                website, body_text, body_html, body_dir, name_dir, renderer_version, status,
                reason, decided_at, client_ip, request_id, flags, duplicate_key, notify, page_url,
                proven, email_key)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                CASE WHEN $13 IN ('pending', 'unverified') THEN NULL ELSE now() END,
                $15, $16, $17, $18, $19, $20, $21, $22)
            RETURNING {COMMENT_COLUMNS}""",
        new.site_id,
        new.thread,
        new.parent_id,
        new.name,
        new.email.blob,
        new.email_hash,
        new.website,
        new.body_text,
        new.body_html,
        new.body_dir,
        new.name_dir,
        new.renderer_version,
        new.status.value,
        new.reason,
        new.client_ip,
        new.request_id,
        new.flags,
        new.duplicate_key,
        new.notify,
        new.page_url,
        new.proven,
        new.email.key_id,
    )
    return Comment.from_row(row)


async def get(conn: Connection, site_id: int, comment_id: int) -> Comment | None:
    row = await conn.fetchrow(
        f"SELECT {COMMENT_COLUMNS} FROM comments WHERE site_id = $1 AND id = $2",
        site_id,
        comment_id,
    )
    return None if row is None else Comment.from_row(row)


async def approved_in_thread(
    conn: Connection, site_id: int, thread: str, after: Cursor | None, limit: int
) -> list[Comment]:
    if after is None:
        rows = await conn.fetch(
            f"""SELECT {COMMENT_COLUMNS} FROM comments
                 WHERE site_id = $1 AND thread = $2 AND status = 'approved' AND NOT hidden
                 ORDER BY created_at, id LIMIT $3""",
            site_id,
            thread,
            limit,
        )
    else:
        rows = await conn.fetch(
            f"""SELECT {COMMENT_COLUMNS} FROM comments
                 WHERE site_id = $1 AND thread = $2 AND status = 'approved' AND NOT hidden
                   AND (created_at, id) > ($3, $4)
                 ORDER BY created_at, id LIMIT $5""",
            site_id,
            thread,
            after.at,
            after.id,
            limit,
        )
    return [Comment.from_row(r) for r in rows]


def _iso(column: str) -> str:
    """As views.iso, in SQL: UTC, ISO 8601 with a Z, the microseconds only where not zero."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"""to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS')"""
        f" || CASE WHEN date_trunc('second', {utc}) = {utc} THEN '' ELSE to_char({utc}, '.US') END"
        " || 'Z'"
    )


# A queue item's view as the database writes it: views.moderator_view of `comments c` but for
# the site, the address and the author's record, which views.queue_items_view adds. It costs
# the database ~25 µs a row (escaping the bodies into JSON), so it is written once per row
# version and kept (queueitems.py); a page reads only its rows' places (QUEUE_ROW_COLUMNS).
# tests/api/test_queue_items.py holds it to moderator_view, field for field.
_ITEM_VIEW = f"""json_build_object(
        'id', c.id::text, 'thread', c.thread, 'parent_id', c.parent_id::text,
        'name', c.name, 'name_dir', c.name_dir, 'website', c.website,
        'body_html', c.body_html, 'body_dir', c.body_dir, 'status', c.status,
        'created_at', {_iso("c.created_at")}, 'body_text', c.body_text,
        'decided_at', {_iso("c.decided_at")},
        'decided_by', CASE WHEN c.decided_at IS NULL THEN NULL
                           WHEN c.decided_by IS NULL THEN 'system'
                           ELSE 'token:' || c.decided_by END,
        'reason', c.reason, 'flags', c.flags, 'proven', c.proven)"""

# Each comment's author record on its site, in the same round trip: (approved, rejected or
# spam) counts by email hash; none for an erased author, whose link to them went with it.
AUTHOR_HISTORY = """LEFT JOIN LATERAL (
              SELECT count(*) FILTER (WHERE a.status = 'approved') AS approved,
                     count(*) FILTER (WHERE a.status IN ('rejected', 'spam')) AS rejected
                FROM comments AS a WHERE a.site_id = c.site_id AND a.email_hash = c.email_hash
         ) AS history ON true"""


def queue_row_columns(at: str) -> str:
    """The select list of a QueueRow from `comments c` joined with AUTHOR_HISTORY, `at` the
    column its queue is ordered by. The row's version is its xmin: every change of a row
    writes a new version with the changing transaction's id."""
    return f"""c.id, c.xmin::text::bigint, c.email_sealed, c.email_key, c.email AS email_plain,
        (extract(epoch FROM c.{at}) * 1000000)::bigint, c.flagged,
        coalesce(history.approved, 0), coalesce(history.rejected, 0)"""


def queue_rows(rows: Sequence[Record]) -> list[QueueRow]:
    return list(map(QueueRow._make, rows))


async def item_views(
    conn: Connection, site_id: int, comment_ids: list[int]
) -> list[tuple[int, int, bytes]]:
    """(id, version, view) of each comment: the view as JSON members, without the braces."""
    rows = await conn.fetch(
        f"""SELECT c.id, c.xmin::text::bigint, convert_to({_ITEM_VIEW}::text, 'UTF8')
              FROM comments c WHERE c.site_id = $1 AND c.id = any($2::bigint[])""",
        site_id,
        comment_ids,
    )
    return [(comment_id, version, view[1:-1]) for comment_id, version, view in rows]


def _queue_statement(pending: bool, flagged_first: bool, thread: bool, after: bool) -> str:
    """The queue page's statement for one shape of request. Each shape is its own fixed text,
    because a prepared statement soon runs on a generic plan: with the status, the thread or
    the cursor as `$n IS NULL OR …` parameters, that plan can neither prove a partial index's
    predicate nor seek to the cursor, and reads every pending comment of the site to sort it
    (12 ms against 0.1 ms for 4,000 pending). Parameters: $1 the site, $2 the limit, then the
    status (decided pages only), the thread, and where the previous page ended (at, id, and
    flagged when flagged first)."""
    numbers = itertools.count(3)
    if pending:
        where = ["status = 'pending'"]
        at, before, direction = "created_at", ">", "ASC"
    else:
        where = [f"status = ${next(numbers)}", "status <> 'pending'"]
        at, before, direction = "decided_at", "<", "DESC"
    if thread:
        where.append(f"thread = ${next(numbers)}")
    if after:
        keyset = f"({at}, id) {before} (${next(numbers)}, ${next(numbers)})"
        if flagged_first:
            flagged = f"${next(numbers)}"
            keyset = f"(flagged < {flagged} OR (flagged = {flagged} AND {keyset}))"
        where.append(keyset)
    order = f"{at} {direction}, id {direction}"
    if flagged_first:
        order = f"flagged DESC, {order}"
    return f"""SELECT {queue_row_columns(at)}
         FROM comments AS c {AUTHOR_HISTORY}
         WHERE site_id = $1 AND {" AND ".join(where)}
         ORDER BY {order} LIMIT $2"""


_QUEUE_PAGE = {
    shape: _queue_statement(*shape) for shape in itertools.product((True, False), repeat=4)
}


async def queue_page(
    conn: Connection,
    site_id: int,
    status: Status,
    thread: str | None,
    after: Cursor | None,
    limit: int,
    *,
    flagged_first: bool = False,
) -> list[QueueRow]:
    """Pending comments oldest first; decided ones newest decision first; optionally the
    flagged ones before all others."""
    pending = status == Status.PENDING
    args: list[object] = [site_id, limit]
    if not pending:
        args.append(status.value)
    if thread is not None:
        args.append(thread)
    if after is not None:
        args += [after.at, after.id] + ([bool(after.flagged)] if flagged_first else [])
    statement = _QUEUE_PAGE[pending, flagged_first, thread is not None, after is not None]
    return queue_rows(await conn.fetch(statement, *args))


async def change_status(
    conn: Connection,
    site_id: int,
    comment_id: int,
    *,
    expected: Status,
    to: Status,
    reason: str | None,
    decided_by: int | None,
) -> Comment | None:
    """Guarded transition: only a comment still in `expected` changes; None otherwise."""
    row = await conn.fetchrow(
        f"""UPDATE comments
               SET status = $4, reason = $5, decided_at = now(), decided_by = $6
             WHERE site_id = $1 AND id = $2 AND status = $3
         RETURNING {COMMENT_COLUMNS}""",
        site_id,
        comment_id,
        expected.value,
        to.value,
        reason,
        decided_by,
    )
    return None if row is None else Comment.from_row(row)


@dataclass(frozen=True, slots=True)
class Admission:
    wait: float | None  # a limit refused: seconds until a retry, and nothing else was asked
    proven: bool
    parent_ok: bool
    duplicate: bool
    trusted: bool


async def admit(
    conn: Connection,
    site_id: int,
    email_hash: bytes,
    buckets: Sequence[Bucket],
    thread: str,
    duplicate_key: bytes,
    *,
    token_hash: bytes | None,
    parent_id: int | None,
    may_trust: bool,
) -> Admission:
    """In one round trip (moderation_admit, sql/0016), in the caller's transaction: the
    author's lock (as lock_author), the author's limits (as ratelimits.take), whether the
    token (its signature checked by the caller) proves the address, whether the parent is an
    approved comment of this thread, whether the author posted the same (folded) body to this
    thread in the last 24 hours, and whether a proven author with `may_trust` has an approved
    comment on this site."""
    row = await conn.fetchrow(
        """SELECT wait, proven, parent_ok, duplicate, trusted
             FROM moderation_admit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        site_id,
        _author_key(site_id, email_hash),
        *ratelimits.columns(buckets),
        email_hash,
        token_hash,
        thread,
        duplicate_key,
        parent_id,
        may_trust,
    )
    assert row is not None  # a function with OUT parameters returns its one row
    return Admission(*row.values())


async def lock_author(conn: Connection, site_id: int, email_hash: bytes) -> None:
    """Serialize one author's posts on a site until the transaction ends."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _author_key(site_id, email_hash))


async def try_lock_authors(
    conn: Connection, site_id: int, email_hashes: list[bytes]
) -> list[bytes]:
    """Of the addresses, in the order given, those whose lock (lock_author's) nobody held: now
    taken until the transaction ends. The others are skipped, not waited for. One round trip."""
    rows = await conn.fetch(
        """SELECT k.n FROM unnest($1::bigint[]) WITH ORDINALITY AS k (key, n)
            WHERE pg_try_advisory_xact_lock(k.key) ORDER BY k.n""",
        [_author_key(site_id, h) for h in email_hashes],
    )
    return [email_hashes[r["n"] - 1] for r in rows]


def _author_key(site_id: int, email_hash: bytes) -> int:
    return int.from_bytes(email_hash[:8], "big", signed=True) ^ site_id


async def announce_thread_change(conn: Connection, site_id: int, thread: str) -> None:
    """Tell every instance (on commit) that the thread's public listing changed."""
    await conn.execute("SELECT pg_notify($1, $2)", THREAD_CHANNEL, f"{site_id}:{thread}")


async def status_of(conn: Connection, site_id: int, comment_id: int) -> Status | None:
    value = await conn.fetchval(
        "SELECT status FROM comments WHERE site_id = $1 AND id = $2", site_id, comment_id
    )
    return None if value is None else Status(value)


async def pending_count(conn: Connection, cap: int) -> int:
    """Pending comments of every site, counted only up to `cap` (one bounded index scan)."""
    value = await conn.fetchval(
        """-- cross-tenant: the pending gauge of the metrics endpoint, counted with a bound
           SELECT count(*) FROM (SELECT 1 FROM comments WHERE status = 'pending' LIMIT $1) p""",
        cap,
    )
    return int(value)


async def status_counts(conn: Connection, site_id: int, cap: int) -> dict[Status, int]:
    """Comments per status, each counted only up to `cap`: the console asks every few seconds,
    and a big site's approved comments are too many to count that often."""
    rows = await conn.fetch(
        """SELECT s.status,
                  (SELECT count(*) FROM (SELECT 1 FROM comments c
                                          WHERE c.site_id = $1 AND c.status = s.status
                                          LIMIT $2) AS capped) AS n
             FROM unnest($3::text[]) AS s (status)""",
        site_id,
        cap,
        [status.value for status in Status if status != Status.UNVERIFIED],
    )
    return {Status(r["status"]): r["n"] for r in rows}
