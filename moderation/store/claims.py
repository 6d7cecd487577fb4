"""Claims SQL: leases on pending comments, so two moderators never review the same one."""

from __future__ import annotations

from ..domain import QueueRow
from . import Connection, rows_affected
from .comments import AUTHOR_HISTORY, queue_row_columns, queue_rows


def _order(flagged_first: bool) -> str:
    return ("c.flagged DESC, " if flagged_first else "") + "c.created_at, c.id"


async def renew(conn: Connection, site_id: int, claimant: str, lease_seconds: float) -> None:
    """Extend the claimant's live leases (a claim that lapsed may already be someone else's)."""
    await conn.execute(
        """UPDATE comment_claims SET until = now() + make_interval(secs => $3)
            WHERE site_id = $1 AND claimant = $2 AND until > now()""",
        site_id,
        claimant,
        lease_seconds,
    )


async def held(
    conn: Connection, site_id: int, claimant: str, thread: str | None, *, flagged_first: bool
) -> list[QueueRow]:
    """The still-pending comments the claimant holds a live lease on."""
    rows = await conn.fetch(
        f"""SELECT {queue_row_columns("created_at")} FROM comment_claims k
              JOIN comments c ON c.site_id = k.site_id AND c.id = k.comment_id
              {AUTHOR_HISTORY}
             WHERE k.site_id = $1 AND k.claimant = $2 AND k.until > now()
               AND c.status = 'pending' AND ($3::text IS NULL OR c.thread = $3)
             ORDER BY {_order(flagged_first)}""",
        site_id,
        claimant,
        thread,
    )
    return queue_rows(rows)


async def claim_more(
    conn: Connection,
    site_id: int,
    claimant: str,
    limit: int,
    lease_seconds: float,
    thread: str | None,
    *,
    flagged_first: bool,
) -> int:
    """Lease up to `limit` pending comments nobody holds. Rows another transaction is claiming
    are skipped (SKIP LOCKED); the conflict clause only takes over a lapsed lease, so a claim
    committed after this statement's snapshot is never stolen. Returns how many were taken."""
    status = await conn.execute(
        f"""WITH candidates AS (
                SELECT c.id FROM comments c
                 WHERE c.site_id = $1 AND c.status = 'pending'
                   AND ($5::text IS NULL OR c.thread = $5)
                   AND NOT EXISTS (SELECT 1 FROM comment_claims k
                                    WHERE k.site_id = c.site_id AND k.comment_id = c.id
                                      AND k.until > now())
                 ORDER BY {_order(flagged_first)}
                 LIMIT $3
                 FOR UPDATE OF c SKIP LOCKED)
            INSERT INTO comment_claims (site_id, comment_id, claimant, until)
            SELECT $1, id, $2, now() + make_interval(secs => $4) FROM candidates
            ON CONFLICT (site_id, comment_id) DO UPDATE
               SET claimant = excluded.claimant, until = excluded.until
             WHERE comment_claims.until <= now()""",
        site_id,
        claimant,
        limit,
        lease_seconds,
        thread,
    )
    return rows_affected(status)


async def release(conn: Connection, site_id: int, comment_id: int) -> None:
    await conn.execute(
        "DELETE FROM comment_claims WHERE site_id = $1 AND comment_id = $2", site_id, comment_id
    )


async def release_all(conn: Connection, site_id: int, claimant: str) -> None:
    await conn.execute(
        "DELETE FROM comment_claims WHERE site_id = $1 AND claimant = $2", site_id, claimant
    )


async def release_outside_thread(
    conn: Connection, site_id: int, claimant: str, thread: str
) -> None:
    """Let go of what the claimant holds in other threads once it narrows to one thread."""
    await conn.execute(
        """DELETE FROM comment_claims k USING comments c
            WHERE k.site_id = $1 AND k.claimant = $2
              AND c.site_id = k.site_id AND c.id = k.comment_id AND c.thread <> $3""",
        site_id,
        claimant,
        thread,
    )
