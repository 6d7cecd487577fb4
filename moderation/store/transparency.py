"""Transparency aggregates (DSA Art. 15): counts over reports, report cases and the audit, for
one site and one period. Aggregates only: no names, emails or bodies leave these queries.
Each takes $1 the site, $2 the period's start (inclusive) and $3 its end (exclusive)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..pagination import Cursor
from . import Connection

# Notices received in the period, by category and by what became of them.
NOTICES = """SELECT r.category, coalesce(k.action, 'pending') AS outcome, count(*)::int AS count
  FROM reports r
  JOIN report_cases k ON k.site_id = r.site_id AND k.id = r.case_id
 WHERE r.site_id = $1 AND r.created_at >= $2 AND r.created_at < $3
 GROUP BY r.category, outcome ORDER BY r.category, outcome"""

# Reported comments decided in the period, and the median time from the first notice.
NOTICE_DECISIONS = """SELECT count(*)::int AS decided,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM resolved_at - first_report_at)) AS median_seconds
  FROM report_cases
 WHERE site_id = $1 AND status = 'resolved' AND resolved_at >= $2 AND resolved_at < $3"""

# Comments rejected or taken down without a notice, by reason and by how they were found: a
# moderator, a word rule, or other automated means.
OWN_INITIATIVE = """SELECT coalesce(reason, 'none') AS reason,
       CASE WHEN actor = 'token' THEN 'moderator'
            WHEN reason = 'banned_term' THEN 'word_rule'
            ELSE 'other_automated' END AS detection,
       count(*)::int AS count
  FROM moderation_audit
 WHERE site_id = $1 AND action = 'reject' AND at >= $2 AND at < $3
 GROUP BY 1, 2 ORDER BY 1, 2"""

# Statements of reasons sent in the period (issue 11's table), after a notice or not.
STATEMENTS_SENT = """SELECT count(*)::int AS total,
       count(*) FILTER (WHERE facts ->> 'source_type' = 'SOURCE_ARTICLE_16')::int AS after_notice
  FROM statements
 WHERE site_id = $1 AND created_at >= $2 AND created_at < $3"""

# Appeals lodged in the period, by outcome (`open` while undecided).
APPEALS = """SELECT coalesce(outcome, 'open') AS outcome, count(*)::int AS count
  FROM appeals
 WHERE site_id = $1 AND created_at >= $2 AND created_at < $3
 GROUP BY 1 ORDER BY 1"""

AGGREGATES = {
    "notices": NOTICES,
    "notice_decisions": NOTICE_DECISIONS,
    "own_initiative": OWN_INITIATIVE,
    "statements_sent": STATEMENTS_SENT,
    "appeals": APPEALS,
}

# The statements export: $4 the limit, $5/$6 where the previous page ended, or NULL.
STATEMENTS_PAGE = """SELECT id, created_at, facts FROM statements
 WHERE site_id = $1 AND created_at >= $2 AND created_at < $3
   AND ($5::timestamptz IS NULL OR (created_at, id) > ($5, $6))
 ORDER BY created_at, id LIMIT $4"""


async def notices(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(NOTICES, site_id, start, end)]


async def notice_decisions(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> dict[str, Any]:
    row = await conn.fetchrow(NOTICE_DECISIONS, site_id, start, end)
    assert row is not None  # an aggregate always returns its one row
    return dict(row)


async def own_initiative(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(OWN_INITIATIVE, site_id, start, end)]


async def statements_sent(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> dict[str, Any]:
    row = await conn.fetchrow(STATEMENTS_SENT, site_id, start, end)
    assert row is not None
    return dict(row)


async def appeals(
    conn: Connection, site_id: int, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(APPEALS, site_id, start, end)]


async def statements_page(
    conn: Connection,
    site_id: int,
    start: datetime,
    end: datetime,
    after: Cursor | None,
    limit: int,
) -> list[tuple[int, datetime, dict[str, Any]]]:
    """Statements as issued: (id, when, the statement in the Transparency Database's terms)."""
    rows = await conn.fetch(
        STATEMENTS_PAGE,
        site_id,
        start,
        end,
        limit,
        None if after is None else after.at,
        None if after is None else after.id,
    )
    return [(r["id"], r["created_at"], r["facts"]) for r in rows]
