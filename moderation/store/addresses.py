"""The sealed address columns as `moderation keys rotate` sees them: each table's rows still
plain or sealed under another key id, claimed in small batches along the primary key, and
written back sealed under the current key."""

from __future__ import annotations

from dataclasses import dataclass

from ..sealing import Place, Sealed, Stored
from . import Connection, rows_affected


@dataclass(frozen=True, slots=True)
class Column:
    """A table's address: the plain column (rows from before 0014), its sealed twin and key id.
    Every table here has the primary key (site_id, id)."""

    place: Place
    table: str
    plain: str
    sealed: str
    key: str


COLUMNS = (
    Column(Place.COMMENT_EMAIL, "comments", "email", "email_sealed", "email_key"),
    Column(Place.MAIL_RECIPIENT, "mail_outbox", "recipient", "recipient_sealed", "recipient_key"),
    Column(
        Place.REPORTER_EMAIL,
        "reports",
        "reporter_email",
        "reporter_email_sealed",
        "reporter_email_key",
    ),
)


@dataclass(frozen=True, slots=True)
class Held:
    site_id: int
    id: int
    stored: Stored


async def claim_stale(
    conn: Connection, column: Column, after: tuple[int, int], current: int, limit: int
) -> list[Held]:
    """The next rows after `after` (site_id, id) whose address is plain or sealed under another
    key id than `current`, locked until commit; rows another transaction holds are skipped (a
    second rotation, a decision, an erase), not waited for. Expects a transaction."""
    c = column
    rows = await conn.fetch(
        f"""-- cross-tenant: the key rotation re-seals every site's addresses, along the pkey
            SELECT site_id, id, {c.plain} AS plain, {c.sealed} AS sealed, {c.key} AS key_id
              FROM {c.table}
             WHERE (site_id, id) > ($1, $2)
               AND ({c.plain} IS NOT NULL OR {c.key} <> $3)
             ORDER BY site_id, id
             LIMIT $4
               FOR UPDATE SKIP LOCKED""",
        after[0],
        after[1],
        current,
        limit,
    )
    held = []
    for r in rows:
        stored = Stored.of(c.place, r["site_id"], r["sealed"], r["key_id"], r["plain"])
        assert stored is not None  # the WHERE clause asked for an address
        held.append(Held(r["site_id"], r["id"], stored))
    return held


async def reseal(conn: Connection, column: Column, sealed: list[tuple[Held, Sealed]]) -> int:
    """Write the newly sealed values and clear the plain ones; expects the transaction that
    claimed the rows."""
    if not sealed:
        return 0
    c = column
    status = await conn.execute(
        f"""-- cross-tenant: the rows claim_stale locked, of any site, by their primary key
            UPDATE {c.table} t
               SET {c.sealed} = u.sealed, {c.key} = u.key_id, {c.plain} = NULL
              FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::smallint[])
                   AS u(site_id, id, sealed, key_id)
             WHERE t.site_id = u.site_id AND t.id = u.id""",
        [held.site_id for held, _ in sealed],
        [held.id for held, _ in sealed],
        [value.blob for _, value in sealed],
        [value.key_id for _, value in sealed],
    )
    return rows_affected(status)


async def stale_count(conn: Connection, column: Column, current: int) -> int:
    """Rows still plain or under another key id (one scan: the rotation's closing count)."""
    c = column
    value = await conn.fetchval(
        f"""-- cross-tenant: what the key rotation left, on every site
            SELECT count(*) FROM {c.table} WHERE {c.plain} IS NOT NULL OR {c.key} <> $1""",
        current,
    )
    return int(value)
