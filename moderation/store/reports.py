"""Reader reports SQL: one open case per reported comment, one report per reporter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain import Comment, Report, ReportCase, ReportCategory, Resolution
from ..pagination import Cursor
from ..sealing import Place, Sealed, Stored
from . import Connection
from .comments import COMMENT_COLUMNS

CASE_COLUMNS = """site_id, id, comment_id, status, reporters, categories, queued_at, hidden,
    first_report_at, last_report_at, action, reason, explanation, resolved_by, resolved_at"""
REPORT_COLUMNS = """site_id, id, reference, case_id, comment_id, category, explanation,
    legal_ground, good_faith, reporter_name, reporter_email, reporter_email_sealed,
    reporter_email_key, created_at"""


@dataclass(frozen=True, slots=True)
class NewReport:
    site_id: int
    comment_id: int
    reference: str
    category: ReportCategory
    explanation: str | None
    legal_ground: str | None
    good_faith: bool
    reporter_name: str | None
    # Sealed by the caller (settings.email_keys): the plain address is never written.
    reporter_email: Sealed | None
    reporter_hash: bytes
    network_hash: bytes | None


async def reportable_site(conn: Connection, comment_id: int) -> str | None:
    """The slug of the site of an approved comment, else None (missing and unapproved alike)."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        """-- cross-tenant: the public report route names only the comment (ids are unique)
           SELECT s.slug FROM comments c JOIN sites s ON s.id = c.site_id
            WHERE c.id = $1 AND c.status = 'approved'""",
        comment_id,
    )


async def lock_approved(conn: Connection, site_id: int, comment_id: int) -> Comment | None:
    """The approved comment, locked against a concurrent decision until commit."""
    row = await conn.fetchrow(
        f"""SELECT {COMMENT_COLUMNS} FROM comments
             WHERE site_id = $1 AND id = $2 AND status = 'approved' FOR SHARE""",
        site_id,
        comment_id,
    )
    return None if row is None else Comment.from_row(row)


async def report_by(
    conn: Connection, site_id: int, comment_id: int, reporter_hash: bytes
) -> tuple[Report, str] | None:
    """A reporter's earlier report of the comment, with its case's status."""
    row = await conn.fetchrow(
        f"""SELECT {", ".join("r." + c.strip() for c in REPORT_COLUMNS.split(","))},
                   k.status AS case_status
              FROM reports r JOIN report_cases k ON k.site_id = r.site_id AND k.id = r.case_id
             WHERE r.site_id = $1 AND r.comment_id = $2 AND r.reporter_hash = $3""",
        site_id,
        comment_id,
        reporter_hash,
    )
    if row is None:
        return None
    values = dict(row)
    status = values.pop("case_status")
    return Report.from_row(values), status


async def open_case(conn: Connection, site_id: int, comment_id: int) -> ReportCase:
    """The comment's open case, created if needed; locked until commit (reports of one comment
    are counted one after another)."""
    row = await conn.fetchrow(
        f"""INSERT INTO report_cases (site_id, comment_id) VALUES ($1, $2)
            ON CONFLICT (site_id, comment_id) WHERE status = 'open'
            DO UPDATE SET last_report_at = now()
            RETURNING {CASE_COLUMNS}""",
        site_id,
        comment_id,
    )
    return ReportCase.from_row(row)


async def insert(conn: Connection, case_id: int, new: NewReport) -> Report | None:
    """The new report, or None where this reporter already reported the comment."""
    row = await conn.fetchrow(
        f"""INSERT INTO reports (site_id, case_id, comment_id, reference, category, explanation,
                                 legal_ground, good_faith, reporter_name,
                                 reporter_email_sealed, reporter_hash, network_hash,
                                 reporter_email_key)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (site_id, comment_id, reporter_hash) DO NOTHING
            RETURNING {REPORT_COLUMNS}""",
        new.site_id,
        case_id,
        new.comment_id,
        new.reference,
        new.category.value,
        new.explanation,
        new.legal_ground,
        new.good_faith,
        new.reporter_name,
        None if new.reporter_email is None else new.reporter_email.blob,
        new.reporter_hash,
        new.network_hash,
        None if new.reporter_email is None else new.reporter_email.key_id,
    )
    return None if row is None else Report.from_row(row)


async def recount(
    conn: Connection, site_id: int, case_id: int, threshold: int, hide: bool
) -> ReportCase:
    """Count the case's distinct reporters (a network counts once) and categories; at the
    threshold, or on any notice of illegal content, it enters the queue (and, where the site
    says so, leaves the public thread)."""
    row = await conn.fetchrow(
        f"""WITH counted AS (
                SELECT count(DISTINCT coalesce(network_hash, reporter_hash))::int AS reporters,
                       array_agg(DISTINCT category ORDER BY category) AS categories
                  FROM reports WHERE site_id = $1 AND case_id = $2)
            UPDATE report_cases k
               SET reporters = counted.reporters,
                   categories = counted.categories,
                   queued_at = CASE WHEN k.queued_at IS NULL
                                     AND (counted.reporters >= $3
                                          OR 'illegal_content' = any(counted.categories))
                                    THEN now() ELSE k.queued_at END,
                   hidden = k.hidden OR ($4 AND (counted.reporters >= $3
                                          OR 'illegal_content' = any(counted.categories)))
              FROM counted
             WHERE k.site_id = $1 AND k.id = $2
            RETURNING {", ".join("k." + c.strip() for c in CASE_COLUMNS.split(","))}""",
        site_id,
        case_id,
        threshold,
        hide,
    )
    return ReportCase.from_row(row)


async def set_hidden(conn: Connection, site_id: int, comment_id: int, hidden: bool) -> bool:
    """Whether the comment's visibility changed."""
    changed = await conn.fetchval(
        """UPDATE comments SET hidden = $3
            WHERE site_id = $1 AND id = $2 AND hidden <> $3 RETURNING true""",
        site_id,
        comment_id,
        hidden,
    )
    return bool(changed)


async def resolve(
    conn: Connection,
    site_id: int,
    comment_id: int,
    action: Resolution,
    reason: str | None,
    explanation: str | None,
    resolved_by: int | None,
) -> tuple[ReportCase, bool] | None:
    """Close the comment's open case; returns it and whether it had hidden the comment."""
    row = await conn.fetchrow(
        f"""UPDATE report_cases k
               SET status = 'resolved', action = $3, reason = $4, explanation = $5,
                   resolved_by = $6, resolved_at = now(), hidden = false
              FROM report_cases before
             WHERE k.site_id = $1 AND k.comment_id = $2 AND k.status = 'open'
               AND before.site_id = k.site_id AND before.id = k.id
            RETURNING {", ".join("k." + c.strip() for c in CASE_COLUMNS.split(","))},
                      before.hidden AS was_hidden""",
        site_id,
        comment_id,
        action.value,
        reason,
        explanation,
        resolved_by,
    )
    if row is None:
        return None
    values = dict(row)
    was_hidden = values.pop("was_hidden")
    return ReportCase.from_row(values), bool(was_hidden)


async def ever_reported(conn: Connection, site_id: int, comment_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM report_cases WHERE site_id = $1 AND comment_id = $2)",
            site_id,
            comment_id,
        )
    )


@dataclass(frozen=True, slots=True)
class Notifier:
    """A reporter who gave an address, with the name and the reference of their report."""

    email: Stored
    name: str | None
    reference: str


async def notifiers(conn: Connection, site_id: int, case_id: int) -> list[Notifier]:
    """Each address that reported in the case, once (by its keyed hash: the addresses are
    sealed), with the name it gave and its report's reference."""
    rows = await conn.fetch(
        """SELECT DISTINCT ON (reporter_hash) reporter_email, reporter_email_sealed,
                  reporter_email_key, reporter_name, reference
             FROM reports
            WHERE site_id = $1 AND case_id = $2
              AND (reporter_email IS NOT NULL OR reporter_email_sealed IS NOT NULL)
            ORDER BY reporter_hash, id""",
        site_id,
        case_id,
    )
    found = []
    for r in rows:
        email = Stored.of(
            Place.REPORTER_EMAIL,
            site_id,
            r["reporter_email_sealed"],
            r["reporter_email_key"],
            r["reporter_email"],
        )
        assert email is not None
        found.append(Notifier(email, r["reporter_name"], r["reference"]))
    return found


# The moderators' list: queued cases, open ones oldest first, resolved ones newest first.
# $2 the category or NULL, $3 the limit, $4/$5 where the previous page ended, or NULL.
_CASES_PAGE = {
    "open": f"""SELECT {CASE_COLUMNS} FROM report_cases
         WHERE site_id = $1 AND status = 'open' AND queued_at IS NOT NULL
           AND ($2::text IS NULL OR $2 = any(categories))
           AND ($4::timestamptz IS NULL OR (first_report_at, id) > ($4, $5))
         ORDER BY first_report_at ASC, id ASC LIMIT $3""",
    "resolved": f"""SELECT {CASE_COLUMNS} FROM report_cases
         WHERE site_id = $1 AND status = 'resolved'
           AND ($2::text IS NULL OR $2 = any(categories))
           AND ($4::timestamptz IS NULL OR (resolved_at, id) < ($4, $5))
         ORDER BY resolved_at DESC, id DESC LIMIT $3""",
}


async def cases_page(
    conn: Connection,
    site_id: int,
    status: str,
    category: ReportCategory | None,
    after: Cursor | None,
    limit: int,
) -> list[ReportCase]:
    rows = await conn.fetch(
        _CASES_PAGE[status],
        site_id,
        None if category is None else category.value,
        limit,
        None if after is None else after.at,
        None if after is None else after.id,
    )
    return [ReportCase.from_row(r) for r in rows]


async def reports_of(conn: Connection, site_id: int, case_ids: list[int]) -> list[Report]:
    rows = await conn.fetch(
        f"""SELECT {REPORT_COLUMNS} FROM reports
             WHERE site_id = $1 AND case_id = any($2::bigint[]) ORDER BY case_id, id""",
        site_id,
        case_ids,
    )
    return [Report.from_row(r) for r in rows]


async def comments_by_id(conn: Connection, site_id: int, ids: list[int]) -> dict[int, Comment]:
    rows = await conn.fetch(
        f"SELECT {COMMENT_COLUMNS} FROM comments WHERE site_id = $1 AND id = any($2::bigint[])",
        site_id,
        ids,
    )
    return {r["id"]: Comment.from_row(r) for r in rows}


def case_cursor_time(case: ReportCase) -> datetime:
    at = case.first_report_at if case.status == "open" else case.resolved_at
    assert at is not None
    return at
