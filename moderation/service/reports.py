"""Reader reports (DSA Art. 16 notices), one transaction each: report a published comment,
resolve a comment's reports, and the moderators' list of reported comments."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from string import Template

import asyncpg
import structlog

from .. import events
from ..authors import mails as author_mails
from ..authors.mails import Outbound
from ..config import Settings
from ..domain import (
    Actor,
    Comment,
    Report,
    ReportAction,
    ReportCase,
    ReportCategory,
    Resolution,
    Role,
    Site,
    Status,
)
from ..errors import Conflict, NotFound, TooManyRequests
from ..identity import IPAddress, email_fingerprint
from ..mail.outbox import queue_mail
from ..mail.texts import NO_NAME, REPORT_WORDS
from ..pagination import Cursor, Page, encode_cursor
from ..ratelimit import policy
from ..ratelimit.refusals import Refusals
from ..schemas import ReportInput, ReportResolution
from ..sealing import Place, readable
from ..store import Connection, audit, comments, ratelimits, reports, webhooks
from ..threadcache import ThreadCache
from ..transparency.mapping import DecisionKind
from ..views import iso

log = structlog.get_logger("moderation.reports")

CASE_OPEN = "open"
CASE_RESOLVED = "resolved"
CASE_STATUSES = (CASE_OPEN, CASE_RESOLVED)


class ReportsResolved(Conflict):
    slug = "reports-resolved"
    title = "Reports already resolved"


@dataclass(frozen=True, slots=True)
class Filed:
    report: Report
    status: str  # the case's: open or resolved
    new: bool


async def reportable_site(pool: asyncpg.Pool, comment_id: int) -> str:
    """The slug of the site of a comment readers may report; NotFound for any other id,
    missing or not approved alike."""
    async with pool.acquire() as conn:
        slug = await reports.reportable_site(conn, comment_id)
    if slug is None:
        raise NotFound("no such comment")
    return slug


async def file_report(
    pool: asyncpg.Pool,
    settings: Settings,
    site: Site,
    comment_id: int,
    read: Callable[[], Awaitable[ReportInput]],
    *,
    refusals: Refusals,
    threads: ThreadCache,
    client_ip: IPAddress | None,
    request_id: str | None,
) -> Filed:
    """Store a reader's report, or give back the one this reporter (email, else network)
    already made. Limited like comments (per network, before the body is read); the receipt
    mail, the webhook event and a threshold's consequences are in the report's transaction."""
    network = None if client_ip is None else policy.network_key(client_ip)
    if network is not None:
        await _take_limits(pool, refusals, site, f"report:{network}")
    given = await read()
    if given.honeypot:  # a bot filled the hidden field: answered like anyone, nothing stored
        return Filed(_decoy(site, comment_id, given), CASE_OPEN, new=True)
    network_hash = (
        None if network is None else email_fingerprint(settings.secret_key, site.id, network)
    )
    if given.reporter_email is not None:
        reporter_hash = email_fingerprint(settings.secret_key, site.id, given.reporter_email)
    else:
        reporter_hash = network_hash or email_fingerprint(settings.secret_key, site.id, "ip:?")
    async with pool.acquire() as conn, conn.transaction():
        comment = await reports.lock_approved(conn, site.id, comment_id)
        if comment is None:
            raise NotFound("no such comment")
        earlier = await reports.report_by(conn, site.id, comment_id, reporter_hash)
        if earlier is not None:
            return Filed(earlier[0], earlier[1], new=False)
        case = await reports.open_case(conn, site.id, comment_id)
        report = await reports.insert(
            conn,
            case.id,
            reports.NewReport(
                site_id=site.id,
                comment_id=comment_id,
                reference=_reference(),
                category=given.category,
                explanation=given.explanation,
                legal_ground=given.legal_ground,
                good_faith=given.good_faith,
                reporter_name=given.reporter_name,
                reporter_email=None
                if given.reporter_email is None
                else settings.email_keys.seal(Place.REPORTER_EMAIL, site.id, given.reporter_email),
                reporter_hash=reporter_hash,
                network_hash=network_hash,
            ),
        )
        if report is None:  # the same reporter, a moment earlier (the case lock serialized us)
            again = await reports.report_by(conn, site.id, comment_id, reporter_hash)
            assert again is not None
            return Filed(again[0], again[1], new=False)
        hide = site.settings.report_action == ReportAction.HIDE
        case = await reports.recount(conn, site.id, case.id, site.settings.report_threshold, hide)
        hidden_now = case.hidden and await reports.set_hidden(conn, site.id, comment_id, True)
        if hidden_now:
            await audit.record(
                conn,
                _system(site),
                comment_id,
                action="hide_reported",
                from_status=Status.APPROVED.value,
                to_status=Status.APPROVED.value,
                reason=None,
                note=f"{case.reporters} reporters",
                request_id=request_id,
            )
            await comments.announce_thread_change(conn, site.id, comment.thread)
        await webhooks.enqueue(
            conn,
            site.id,
            events.Event.REPORTED,
            events.envelope(events.Event.REPORTED, _reported_data(site, comment, report, case)),
        )
        if given.reporter_email is not None:
            words = REPORT_WORDS[site.settings.language]
            await queue_mail(
                conn,
                settings,
                site,
                given.reporter_email,
                "report_receipt",
                {
                    "name": given.reporter_name or NO_NAME[site.settings.language],
                    "reference": report.reference,
                    "category": words[report.category.value],
                },
            )
    if hidden_now:
        threads.invalidate(site.id, comment.thread)  # this instance hides it at once
    log.info("comment_reported", site=site.slug, comment_id=comment_id, case_id=case.id)
    return Filed(report, CASE_OPEN, new=True)


def _reference() -> str:
    return "R-" + secrets.token_hex(8).upper()


def _decoy(site: Site, comment_id: int, given: ReportInput) -> Report:
    return Report(
        site_id=site.id,
        id=0,
        reference=_reference(),
        case_id=0,
        comment_id=comment_id,
        category=given.category,
        explanation=None,
        legal_ground=None,
        good_faith=False,
        reporter_name=None,
        reporter_email=None,
        created_at=datetime.now(UTC),
    )


async def _take_limits(pool: asyncpg.Pool, refusals: Refusals, site: Site, key: str) -> None:
    refusals.check(site.id, key)
    buckets = policy.buckets_for(key, site.settings)
    if not buckets:
        return
    async with pool.acquire() as conn:
        wait = await ratelimits.take(conn, site.id, buckets)
    if wait is not None:
        refusals.remember(site.id, key, wait)
        raise TooManyRequests(wait, "too many reports; try again later")


def _system(site: Site) -> Actor:
    return Actor(site_id=site.id, site_slug=site.slug, role=Role.ADMIN, token_id=None)


def _reported_data(
    site: Site, comment: Comment, report: Report, case: ReportCase
) -> dict[str, object]:
    """`comment.reported`: what was reported and how often, never who reported it."""
    return {
        "comment_id": str(comment.id),
        "site": site.slug,
        "thread": comment.thread,
        "category": report.category.value,
        "reporters": case.reporters,
        "categories": [c.value for c in case.categories],
        "queued": case.queued_at is not None,
        "hidden": case.hidden,
        "first_report_at": iso(case.first_report_at),
    }


@dataclass(frozen=True, slots=True)
class Resolved:
    case: ReportCase
    comment: Comment


async def resolve(
    pool: asyncpg.Pool,
    settings: Settings,
    site: Site,
    actor: Actor,
    comment_id: int,
    resolution: ReportResolution,
    *,
    threads: ThreadCache,
    request_id: str | None,
) -> Resolved:
    """Decide a comment's open reports once: `keep` closes them (a hidden comment returns),
    `remove` takes the comment down with a reason. Every notifier with an address hears the
    decision. Raises NotFound, or AlreadyDecided where the reports were already resolved."""
    reason = None if resolution.reason is None else resolution.reason.value
    async with pool.acquire() as conn, conn.transaction():
        closed = await reports.resolve(
            conn,
            actor.site_id,
            comment_id,
            resolution.action,
            reason,
            resolution.explanation,
            actor.token_id,
        )
        if closed is None:
            if await reports.ever_reported(conn, actor.site_id, comment_id):
                raise ReportsResolved("the reports of this comment were already resolved")
            raise NotFound("no reports of this comment")
        case, was_hidden = closed
        filed = await reports.reports_of(conn, actor.site_id, [case.id])
        comment = await comments.get(conn, actor.site_id, comment_id)
        assert comment is not None
        thread_changed = False
        before = comment.status
        if resolution.action == Resolution.KEEP:
            if was_hidden:
                thread_changed = await reports.set_hidden(conn, actor.site_id, comment_id, False)
        else:
            removed = await comments.change_status(
                conn,
                actor.site_id,
                comment_id,
                expected=Status.APPROVED,
                to=Status.REJECTED,
                reason=reason,
                decided_by=actor.token_id,
            )
            if removed is not None:
                comment = removed
                await reports.set_hidden(conn, actor.site_id, comment_id, False)
                thread_changed = True
                await webhooks.enqueue(
                    conn,
                    actor.site_id,
                    events.Event.REJECTED,
                    events.payload(events.Event.REJECTED, comment, actor.site_slug),
                )
                # The author's statement of reasons says it followed a notice (SOURCE_ARTICLE_16).
                await author_mails.issue_statement(
                    conn,
                    Outbound(settings, site),
                    comment,
                    DecisionKind.TAKEN_DOWN,
                    actor.token_id,
                    resolution.explanation,
                    None,
                    report_category=_main_category(filed),
                )
        await audit.record(
            conn,
            actor,
            comment_id,
            action=f"{resolution.action.value}_reported",  # keep_reported | remove_reported
            from_status=before.value,
            to_status=comment.status.value,
            reason=reason,
            note=None,
            request_id=request_id,
        )
        if thread_changed:
            await comments.announce_thread_change(conn, actor.site_id, comment.thread)
        await webhooks.enqueue(
            conn,
            actor.site_id,
            events.Event.REPORT_RESOLVED,
            events.envelope(events.Event.REPORT_RESOLVED, _resolved_data(site, comment, case)),
        )
        await _tell_notifiers(conn, settings, site, case)
    if thread_changed:
        threads.invalidate(actor.site_id, comment.thread)
    log.info("reports_resolved", comment_id=comment_id, action=resolution.action.value)
    return Resolved(case, comment)


def _resolved_data(site: Site, comment: Comment, case: ReportCase) -> dict[str, object]:
    return {
        "comment_id": str(comment.id),
        "site": site.slug,
        "thread": comment.thread,
        "action": None if case.action is None else case.action.value,
        "reason": case.reason,
        "reporters": case.reporters,
        "categories": [c.value for c in case.categories],
        "first_report_at": iso(case.first_report_at),
        "resolved_at": iso(case.resolved_at),
    }


def _main_category(filed: list[Report]) -> ReportCategory:
    """The notice's category for the statement: the one most reports gave (ties: the first
    given). `filed` is in the order the reports came."""
    counts = Counter(r.category for r in filed)  # a Counter keeps first-seen order on ties
    return counts.most_common(1)[0][0]


async def _tell_notifiers(
    conn: Connection, settings: Settings, site: Site, case: ReportCase
) -> None:
    words = REPORT_WORDS[site.settings.language]
    assert case.action is not None
    outcome = Template(words[case.action.value]).safe_substitute(reason=case.reason or "")
    for notifier in await reports.notifiers(conn, site.id, case.id):
        email = readable(settings.email_keys, notifier.email)
        if email is None:  # logged; the others still hear of the decision
            continue
        await queue_mail(
            conn,
            settings,
            site,
            email,
            "report_decision",
            {
                "name": notifier.name or NO_NAME[site.settings.language],
                "reference": notifier.reference,
                "outcome": outcome,
                "explanation": case.explanation or words["no_explanation"],
            },
        )


@dataclass(frozen=True, slots=True)
class ReportedComment:
    case: ReportCase
    comment: Comment
    reports: list[Report]


async def reported_page(
    pool: asyncpg.Pool,
    actor: Actor,
    status: str,
    category: ReportCategory | None,
    after: Cursor | None,
    limit: int,
) -> Page[ReportedComment]:
    """Reported comments in the queue: open ones oldest first, resolved newest first."""
    async with pool.acquire() as conn:
        cases = await reports.cases_page(conn, actor.site_id, status, category, after, limit + 1)
        shown = cases[:limit]
        found = await reports.comments_by_id(conn, actor.site_id, [c.comment_id for c in shown])
        filed = await reports.reports_of(conn, actor.site_id, [c.id for c in shown])
    by_case: dict[int, list[Report]] = {}
    for report in filed:
        by_case.setdefault(report.case_id, []).append(report)
    rows = [ReportedComment(c, found[c.comment_id], by_case.get(c.id, [])) for c in shown]
    next_cursor = None
    if len(cases) > limit:
        next_cursor = encode_cursor(reports.case_cursor_time(shown[-1]), shown[-1].id)
    return Page(rows, next_cursor)
