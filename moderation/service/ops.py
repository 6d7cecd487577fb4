"""What the operations endpoints ask of the database: readiness and the scrape-time gauges,
each a few bounded lookups, whatever the tables hold."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from ..errors import DATABASE_UNAVAILABLE, ServiceUnavailable
from ..store import comments, mail, webhooks

READY_TIMEOUT = 2.0
# Pending comments and mails are counted up to here: an index scan with a bound, never a table.
COUNT_CAP = 10_000


@dataclass(frozen=True, slots=True)
class Gauges:
    pending_comments: int
    webhook_oldest_due: float
    mails_queued: int


async def check_ready(pool: asyncpg.Pool) -> None:
    """Raises ServiceUnavailable when the database does not answer within READY_TIMEOUT."""
    try:
        async with asyncio.timeout(READY_TIMEOUT), pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
    except DATABASE_UNAVAILABLE:
        raise ServiceUnavailable("the database is unreachable") from None


async def gauges(pool: asyncpg.Pool) -> Gauges | None:
    """The gauges measured at scrape time; None when the database does not answer in time."""
    try:
        async with asyncio.timeout(READY_TIMEOUT), pool.acquire() as conn:
            return Gauges(
                pending_comments=await comments.pending_count(conn, COUNT_CAP),
                webhook_oldest_due=await webhooks.oldest_due_age(conn),
                mails_queued=await mail.queued_count(conn, COUNT_CAP),
            )
    except DATABASE_UNAVAILABLE:
        return None
