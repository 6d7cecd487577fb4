"""The transparency report of a site for a period (DSA Art. 15): aggregates only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from ..domain import Actor
from ..store import transparency


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive


async def report(pool: asyncpg.Pool, actor: Actor, period: Period) -> dict[str, Any]:
    """Notices by category and outcome, the median time from notice to decision, and the
    decisions taken on the site's own initiative by reason and detection method."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        notices = await transparency.notices(conn, actor.site_id, period.start, period.end)
        decided = await transparency.notice_decisions(conn, actor.site_id, period.start, period.end)
        own = await transparency.own_initiative(conn, actor.site_id, period.start, period.end)
    median = decided["median_seconds"]
    return {
        "notices": {
            "total": sum(n["count"] for n in notices),
            "by_category_and_outcome": notices,
        },
        "notice_decisions": {
            "decided": decided["decided"],
            "median_seconds_to_decision": None if median is None else round(float(median), 1),
        },
        "own_initiative_decisions": {
            "total": sum(n["count"] for n in own),
            "by_reason_and_detection": own,
        },
    }
