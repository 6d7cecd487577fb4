"""GCRA rate-limit rows: one atomic upsert decides every bucket of a check at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import Connection, rows_affected


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    # GCRA: one request per `interval` seconds, with `tolerance` seconds of burst allowance.
    interval: float
    tolerance: float


async def take(conn: Connection, site_id: int, buckets: Sequence[Bucket]) -> float | None:
    """Take one request from each bucket; None if all allowed, else seconds until retry.

    Each row is decided by the upsert's WHERE against the locked current row, so concurrent
    requests on one key (from any number of instances) can't both slip through. A bucket that
    allowed is spent even when another refused: a refused attempt still counts.
    """
    rows = await conn.fetch(
        """WITH wanted AS (
               SELECT * FROM unnest($2::text[], $3::float8[], $4::float8[])
                        AS w(bucket, interval_s, tolerance_s)),
           taken AS (
               INSERT INTO rate_limits AS r (site_id, bucket, tat)
               SELECT $1, bucket, now() + make_interval(secs => interval_s) FROM wanted
               ON CONFLICT (site_id, bucket) DO UPDATE
                  SET tat = GREATEST(r.tat, now()) + (excluded.tat - now())
                WHERE r.tat - now() <= (SELECT make_interval(secs => w.tolerance_s)
                                          FROM wanted w WHERE w.bucket = excluded.bucket)
               RETURNING bucket)
           SELECT coalesce(extract(epoch FROM r.tat - now()) - w.tolerance_s, 0) AS wait
             FROM wanted w
             -- The statement's snapshot may predate the row a racing request just inserted:
             -- refused all the same, with no wait known (callers round up to a second).
             LEFT JOIN rate_limits r ON r.site_id = $1 AND r.bucket = w.bucket
            WHERE w.bucket NOT IN (SELECT bucket FROM taken)""",
        site_id,
        [b.key for b in buckets],
        [b.interval for b in buckets],
        [b.tolerance for b in buckets],
    )
    if not rows:
        return None
    return max(max(float(r["wait"]) for r in rows), 0.0)


async def sweep(conn: Connection) -> int:
    status = await conn.execute(
        "-- cross-tenant: the sweeper of every site's lapsed limits\n"
        "DELETE FROM rate_limits WHERE tat < now()"
    )
    return rows_affected(status)
