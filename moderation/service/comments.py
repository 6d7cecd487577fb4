"""The comment use cases, one transaction each: submit, decide, claim, and the pages that list
them. Callable from HTTP handlers, the CLI and auto-moderation."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from .. import events, stages
from ..authors import mails as author_mails
from ..authors.mails import Outbound
from ..authors.proof import author_limit_key, check_page_url, token_to_check
from ..domain import (
    Actor,
    AuditEntry,
    Comment,
    Policy,
    QueueItem,
    Role,
    Site,
    Status,
    SystemReason,
)
from ..errors import AlreadyDecided, Conflict, Invalid, NotFound, TooManyRequests
from ..identity import IPAddress, email_fingerprint
from ..pagination import Cursor, Page, encode_cursor, encode_position, page_of
from ..queueitems import ItemViews
from ..ratelimit import policy
from ..ratelimit.refusals import Refusals
from ..replica import Reads
from ..schemas import Decision, Submission
from ..sealing import Keyring, Place, Sealed
from ..stages import StageClock
from ..store import Connection, audit, claims, comments, ratelimits, webhooks
from ..text import fold
from ..text.hygiene import text_direction
from ..text.render import RENDERER_VERSION, Rendered, render_body
from ..text.rules import SiteRules
from ..threadcache import ThreadCache

log = structlog.get_logger("moderation.comments")

# How long a claimed queue item stays reserved for its moderator without a renewal.
CLAIM_LEASE_SECONDS = 300.0
# Queue counts stop here ("10000+"): they are asked for every few seconds.
COUNT_CAP = 10_000


class DuplicateComment(Conflict):
    slug = "duplicate-comment"
    title = "Duplicate comment"


@dataclass(frozen=True, slots=True)
class Submitted:
    submission: Submission
    comment: Comment


async def submit_comment(
    pool: asyncpg.Pool,
    site: Site,
    read: Callable[[], Awaitable[Submission]],
    *,
    rules: SiteRules,
    refusals: Refusals,
    threads: ThreadCache,
    secret_key: bytes,
    client_ip: IPAddress | None,
    request_id: str | None,
    outbound: Outbound | None = None,
    email_keys: Keyring,
    clock: StageClock | None = None,
) -> Submitted:
    """Store a comment: spam (honeypot), rejected (banned term), approved (trusted author) or
    pending with flags. The client's network limits come first, before `read` parses and
    cleans the submission: a flood is refused at the cost of one query — or of none while an
    earlier refusal holds. Raises Invalid (parent), Conflict (duplicate) or TooManyRequests.
    With a `clock` (the benchmark's stage timing), the CPU of each stage is added to it."""
    if clock is not None:
        stages.CURRENT.set(clock)
    await stages.awaited(
        clock, stages.DATABASE, _check_network_limits(pool, refusals, site, client_ip)
    )
    submission = await stages.awaited(clock, stages.PARSING, read())
    comment = await _store_comment(
        pool,
        site,
        submission,
        rules,
        refusals,
        secret_key,
        client_ip,
        request_id,
        outbound,
        email_keys,
        clock,
    )
    if comment.status == Status.APPROVED:
        threads.invalidate(site.id, comment.thread)  # this instance shows it at once
    log.info("comment_received", site=site.slug, comment_id=comment.id, status=comment.status.value)
    if clock is not None:
        clock.accepted += 1
    return Submitted(submission, comment)


def known_refusal(
    refusals: Refusals, site: Site, client_ip: IPAddress | None
) -> TooManyRequests | None:
    """The 429 for the client while an earlier refusal of its network holds: no query and
    nothing parsed. A handler may ask before it builds anything else for submit_comment."""
    if client_ip is None:
        return None
    wait = refusals.wait(site.id, policy.network_key(client_ip))
    return None if wait is None else TooManyRequests(wait)


async def _check_network_limits(
    pool: asyncpg.Pool, refusals: Refusals, site: Site, client_ip: IPAddress | None
) -> None:
    if client_ip is None:
        return
    refused = known_refusal(refusals, site, client_ip)
    if refused is not None:
        raise refused
    # Counted against the network's limits on the site; over one, the refusal is remembered
    # and raised (429 with Retry-After).
    key = policy.network_key(client_ip)
    buckets = policy.buckets_for(key, site.settings)
    if not buckets:
        return
    async with pool.acquire() as conn:
        wait = await ratelimits.take(conn, site.id, buckets)
    if wait is not None:
        refusals.remember(site.id, key, wait)
        raise TooManyRequests(wait)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A submission with everything decided before the database is asked."""

    submission: Submission
    email: Sealed
    email_hash: bytes
    author: str  # the author's limit key
    page_url: str | None
    status: Status
    reason: str | None
    flags: list[dict[str, Any]]
    duplicate_key: bytes
    rendered: Rendered


async def _store_comment(
    pool: asyncpg.Pool,
    site: Site,
    submission: Submission,
    rules: SiteRules,
    refusals: Refusals,
    secret_key: bytes,
    client_ip: IPAddress | None,
    request_id: str | None,
    outbound: Outbound | None,
    email_keys: Keyring,
    clock: StageClock | None,
) -> Comment:
    email_hash = email_fingerprint(secret_key, site.id, submission.email)
    # The article page (mails link to it): the widget sends it; a plain form returns to it.
    page_url = submission.page_url or submission.return_to
    check_page_url(site, page_url)
    author = author_limit_key(secret_key, site.id, email_hash, submission, client_ip)
    # A refused author knocking again is answered before the rules and the sanitizer run.
    refusals.check(site.id, author)
    status, reason, flags = Status.PENDING, None, []
    if submission.honeypot:
        status = Status.SPAM
        folded_body = fold.duplicate_key(submission.body)
    else:
        verdict = stages.timed(
            clock,
            stages.RULES,
            rules.evaluate,
            name=submission.name,
            body=submission.body,
            website=submission.website,
        )
        flags = [flag.as_json() for flag in verdict.flags]
        if verdict.banned_term is not None:
            status, reason = Status.REJECTED, SystemReason.BANNED_TERM.value
            flags.insert(0, {"kind": SystemReason.BANNED_TERM.value, "term": verdict.banned_term})
        folded_body = verdict.duplicate_key  # the rules already folded the body
    rendered = stages.timed(clock, stages.SANITIZING, render_body, submission.body)
    prepared = _Prepared(
        submission=submission,
        email=email_keys.seal(Place.COMMENT_EMAIL, site.id, submission.email),
        email_hash=email_hash,
        author=author,
        page_url=page_url,
        status=status,
        reason=reason,
        flags=flags,
        duplicate_key=hashlib.sha256(folded_body.encode()).digest(),
        rendered=rendered,
    )
    admit = _admit(pool, site, prepared, refusals, secret_key, client_ip, request_id, outbound)
    return await stages.awaited(clock, stages.DATABASE, admit)


async def _admit(
    pool: asyncpg.Pool,
    site: Site,
    prepared: _Prepared,
    refusals: Refusals,
    secret_key: bytes,
    client_ip: IPAddress | None,
    request_id: str | None,
    outbound: Outbound | None,
) -> Comment:
    """The comment's one transaction: the author's lock and limits, admission, the row, its
    outbox rows and, for a decision of the rules, the audit row."""
    submission, email_hash, status, reason, flags = (
        prepared.submission,
        prepared.email_hash,
        prepared.status,
        prepared.reason,
        prepared.flags,
    )
    async with pool.acquire() as conn, conn.transaction():
        # The author's lock serializes the address's posts (two identical posts racing each
        # other must not both get in) and orders them with an erase of the address, which
        # takes it too (service/subjects.py). Taken before the limit rows, as the erase does:
        # the lock, the limits, the proof and the admission are one call.
        admission = await comments.admit(
            conn,
            site.id,
            email_hash,
            policy.buckets_for(prepared.author, site.settings),
            submission.thread,
            prepared.duplicate_key,
            token_hash=token_to_check(secret_key, site.id, email_hash, submission.author_token),
            parent_id=submission.parent_id,
            # Only a post that proves its address earns the address's history.
            may_trust=status == Status.PENDING
            and not flags
            and site.settings.policy == Policy.TRUST_APPROVED_AUTHORS,
        )
        if admission.wait is not None:
            refusals.remember(site.id, prepared.author, admission.wait)
            raise TooManyRequests(admission.wait)
        proven = admission.proven
        if not admission.parent_ok:
            raise Invalid.one("parent_id", "must be an approved comment in the same thread")
        if admission.duplicate:
            raise DuplicateComment("duplicate comment: you already posted this here")
        if admission.trusted:
            status, reason = Status.APPROVED, SystemReason.TRUSTED_AUTHOR.value
        elif status == Status.PENDING and not proven and site.settings.require_verified_email:
            status = Status.UNVERIFIED
        comment = await comments.insert(
            conn,
            comments.NewComment(
                site_id=site.id,
                thread=submission.thread,
                parent_id=submission.parent_id,
                name=submission.name,
                email=prepared.email,
                email_hash=email_hash,
                website=submission.website,
                body_text=submission.body,
                body_html=prepared.rendered.html,
                body_dir=prepared.rendered.direction,
                name_dir=text_direction(submission.name),
                renderer_version=RENDERER_VERSION,
                status=status,
                reason=reason,
                client_ip=client_ip,
                request_id=request_id,
                flags=flags,
                duplicate_key=prepared.duplicate_key,
                notify=submission.notify,
                page_url=prepared.page_url,
                proven=proven,
            ),
        )
        if status == Status.SPAM:
            return comment  # bots learn nothing, and sites hear nothing of it
        if status != Status.UNVERIFIED:  # announced when the address is confirmed
            await webhooks.enqueue(
                conn,
                site.id,
                events.Event.CREATED,
                events.payload(events.Event.CREATED, comment, site.slug),
            )
        if status in events.DECISION_EVENTS:
            system = Actor(site_id=site.id, site_slug=site.slug, role=Role.ADMIN, token_id=None)
            await _record_decision(conn, system, comment, Status.PENDING, None, request_id)
        if outbound is not None:
            await author_mails.after_submit(conn, outbound, comment)
    return comment


async def decide(
    pool: asyncpg.Pool,
    actor: Actor,
    comment_id: int,
    to: Status,
    decision: Decision,
    *,
    threads: ThreadCache,
    request_id: str | None,
    expected: Status = Status.PENDING,
    outbound: Outbound | None = None,
) -> Comment:
    """Decide a comment that is still in `expected` (pending unless the moderator names the
    status they saw: take down, restore, undo). Releases any claim on it. Raises NotFound, or
    AlreadyDecided naming the current status."""
    reason = None if decision.reason is None else decision.reason.value
    async with pool.acquire() as conn, conn.transaction():
        comment = await comments.change_status(
            conn,
            actor.site_id,
            comment_id,
            expected=expected,
            to=to,
            reason=reason,
            decided_by=actor.token_id,
        )
        if comment is None:
            current = await comments.status_of(conn, actor.site_id, comment_id)
            raise NotFound("no such comment") if current is None else AlreadyDecided(current)
        await claims.release(conn, actor.site_id, comment_id)
        await _record_decision(
            conn, actor, comment, expected, decision.note, request_id, decision.explanation
        )
        if outbound is not None:
            await author_mails.after_decision(
                conn,
                outbound,
                comment,
                expected.value,
                actor.token_id,
                decision.explanation,
                decision.legal_ground,
            )
    if Status.APPROVED in (expected, to):
        threads.invalidate(comment.site_id, comment.thread)  # this instance shows it at once
    log.info("comment_decided", comment_id=comment_id, status=to.value, token_id=actor.token_id)
    return comment


@dataclass(frozen=True, slots=True)
class ClaimedBatch:
    items: list[QueueItem]
    counts: dict[Status, int]


async def claim_batch(
    pool: asyncpg.Pool,
    items: ItemViews,
    actor: Actor,
    claimant: str,
    limit: int,
    thread: str | None,
    *,
    flagged_first: bool,
    lease_seconds: float = CLAIM_LEASE_SECONDS,
) -> ClaimedBatch:
    """Renew the claimant's leases and top them up to `limit` pending comments nobody else
    holds; a comment decided elsewhere simply is not in the answer any more."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            if thread is not None:
                await claims.release_outside_thread(conn, actor.site_id, claimant, thread)
            await claims.renew(conn, actor.site_id, claimant, lease_seconds)
            mine = await claims.held(
                conn, actor.site_id, claimant, thread, flagged_first=flagged_first
            )
            if len(mine) < limit and await claims.claim_more(
                conn,
                actor.site_id,
                claimant,
                limit - len(mine),
                lease_seconds,
                thread,
                flagged_first=flagged_first,
            ):
                mine = await claims.held(
                    conn, actor.site_id, claimant, thread, flagged_first=flagged_first
                )
        counts = await comments.status_counts(conn, actor.site_id, COUNT_CAP)
        return ClaimedBatch(await items.views(conn, actor.site_id, mine[:limit]), counts)


async def release_claims(pool: asyncpg.Pool, actor: Actor, claimant: str) -> None:
    async with pool.acquire() as conn:
        await claims.release_all(conn, actor.site_id, claimant)


async def _record_decision(
    conn: Connection,
    actor: Actor,
    comment: Comment,
    from_status: Status,
    note: str | None,
    request_id: str | None,
    explanation: str | None = None,
) -> None:
    """The audit row, the webhook event and the thread-change notice of a decision, in the
    decision's own transaction."""
    await audit.record(
        conn,
        actor,
        comment.id,
        action="approve" if comment.status == Status.APPROVED else "reject",
        from_status=from_status.value,
        to_status=comment.status.value,
        reason=comment.reason,
        note=note,
        request_id=request_id,
        explanation=explanation,
    )
    event = events.DECISION_EVENTS[comment.status]
    await webhooks.enqueue(
        conn, actor.site_id, event, events.payload(event, comment, actor.site_slug)
    )
    if Status.APPROVED in (from_status, comment.status):
        await comments.announce_thread_change(conn, comment.site_id, comment.thread)


async def comment_detail(
    pool: asyncpg.Pool, actor: Actor, comment_id: int
) -> tuple[Comment, list[AuditEntry]]:
    async with pool.acquire() as conn:
        comment = await comments.get(conn, actor.site_id, comment_id)
        if comment is None:
            raise NotFound("no such comment")
        return comment, await audit.history(conn, actor.site_id, comment_id)


async def thread_page(
    reads: Reads, site: Site, thread: str, after: Cursor | None, limit: int
) -> Page[Comment]:
    async with reads.connection(site.id, thread) as conn:
        rows = await comments.approved_in_thread(conn, site.id, thread, after, limit + 1)
    return page_of(rows, limit, lambda last: encode_cursor(last.created_at, last.id))


async def queue_page(
    pool: asyncpg.Pool,
    items: ItemViews,
    actor: Actor,
    status: Status,
    thread: str | None,
    after: Cursor | None,
    limit: int,
    *,
    flagged_first: bool = False,
) -> Page[QueueItem]:
    """A page of the site's comments in one status, each with its author's record here."""
    async with pool.acquire() as conn:
        rows = await comments.queue_page(
            conn, actor.site_id, status, thread, after, limit + 1, flagged_first=flagged_first
        )
        page = page_of(
            rows,
            limit,
            lambda last: encode_position(last.at, last.id, last.flagged if flagged_first else None),
        )
        return Page(await items.views(conn, actor.site_id, page.items), page.next_cursor)
