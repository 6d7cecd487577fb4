"""Transparency aggregates (DSA Art. 15): counts over reports, report cases and the audit, for
one site and one period. Aggregates only: no names, emails or bodies leave these queries.
Each takes $1 the site, $2 the period's start (inclusive) and $3 its end (exclusive)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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

AGGREGATES = {
    "notices": NOTICES,
    "notice_decisions": NOTICE_DECISIONS,
    "own_initiative": OWN_INITIATIVE,
}


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
