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
    """Take one request from each bucket; None if all allowed, else seconds until retry
    (moderation_take_limits, sql/0016: concurrent requests on one key, from any number of
    instances, cannot both slip through; a refused attempt still counts)."""
    wait = await conn.fetchval(
        "SELECT moderation_take_limits($1, $2, $3, $4)", site_id, *columns(buckets)
    )
    return None if wait is None else float(wait)


def columns(buckets: Sequence[Bucket]) -> tuple[list[str], list[float], list[float]]:
    """The buckets as the SQL functions take them: keys, intervals, tolerances."""
    return [b.key for b in buckets], [b.interval for b in buckets], [b.tolerance for b in buckets]


async def sweep(conn: Connection) -> int:
    status = await conn.execute(
        "-- cross-tenant: the sweeper of every site's lapsed limits\n"
        "DELETE FROM rate_limits WHERE tat < now()"
    )
    return rows_affected(status)
