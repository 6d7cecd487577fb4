"""The transparency report of a site for a period (DSA Art. 15): aggregates only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from ..domain import Actor
from ..pagination import Cursor, Page, encode_cursor, page_of
from ..store import transparency


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive


async def report(pool: asyncpg.Pool, actor: Actor, period: Period) -> dict[str, Any]:
    """Notices by category and outcome, the median time from notice to decision, the
    decisions taken on the site's own initiative by reason and detection method, statements
    of reasons sent, and appeals by outcome."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        notices = await transparency.notices(conn, actor.site_id, period.start, period.end)
        decided = await transparency.notice_decisions(conn, actor.site_id, period.start, period.end)
        own = await transparency.own_initiative(conn, actor.site_id, period.start, period.end)
        sent = await transparency.statements_sent(conn, actor.site_id, period.start, period.end)
        appeals = await transparency.appeals(conn, actor.site_id, period.start, period.end)
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
        "statements_of_reasons": sent,
        "appeals": {"total": sum(a["count"] for a in appeals), "by_outcome": appeals},
    }


async def statements_page(
    pool: asyncpg.Pool, actor: Actor, period: Period, after: Cursor | None, limit: int
) -> Page[dict[str, Any]]:
    """Every statement of reasons of the period, oldest first, in the field names and values
    of the DSA Transparency Database (as `transparency.statement_for` built them when issued:
    no personal data)."""
    async with pool.acquire() as conn:
        rows = await transparency.statements_page(
            conn, actor.site_id, period.start, period.end, after, limit + 1
        )
    page = page_of(rows, limit, lambda last: encode_cursor(last[1], last[0]))
    return Page([facts for _, _, facts in page.items], page.next_cursor)
