"""Authors' use cases, one transaction each: confirm an address, unsubscribe, see one's own
comments, appeal a decision; and the moderators' side of appeals."""

from __future__ import annotations

import time
from dataclasses import dataclass

import asyncpg

from .. import events
from ..authors import links, mails
from ..authors.links import Purpose
from ..authors.mails import AUTHOR_TOKEN_SECONDS, Outbound
from ..config import Settings
from ..domain import (
    Actor,
    Appeal,
    AppealOutcome,
    AppealStatus,
    Comment,
    LinkState,
    Role,
    Site,
    Statement,
    Status,
)
from ..errors import AlreadyDecided, Conflict, Forbidden, Gone, NotFound
from ..identity import email_fingerprint
from ..pagination import Cursor, encode_cursor
from ..schemas import MAX_ID, whole_number
from ..store import Connection, appeals, audit, authors, comments, webhooks
from ..threadcache import ThreadCache
from ..views import iso

OWN_COMMENTS_LIMIT = 500


class LinkUsed(Conflict):
    slug = "link-used"
    title = "Link already used"


class LinkExpired(Gone):
    slug = "link-expired"
    title = "Link expired"


class AlreadyAppealed(Conflict):
    slug = "already-appealed"
    title = "Already appealed"


class SameModerator(Forbidden):
    slug = "same-moderator"
    title = "Decided by another moderator"


@dataclass(frozen=True, slots=True)
class Confirmation:
    author_token: str
    return_to: str | None
    released: list[Comment]


def _system(site: Site) -> Actor:
    return Actor(site_id=site.id, site_slug=site.slug, role=Role.ADMIN, token_id=None)


async def confirmation_state(pool: asyncpg.Pool, site: Site, token: str) -> LinkState:
    if not links.is_random_token(token):
        return LinkState.UNKNOWN
    async with pool.acquire() as conn:
        return await authors.confirmation_state(conn, site.id, links.token_hash(token))


async def confirm(pool: asyncpg.Pool, settings: Settings, site: Site, token: str) -> Confirmation:
    """Use a confirmation link: the address is verified, the browser gets an author token, and
    comments that waited for the address enter the queue. Raises NotFound (no such link),
    LinkUsed (409; of two concurrent confirmations, the second) or LinkExpired (410)."""
    if not links.is_random_token(token):
        raise NotFound("no such confirmation link")
    hashed = links.token_hash(token)
    async with pool.acquire() as conn, conn.transaction():
        confirmed = await authors.use_confirmation(conn, site.id, hashed)
        if confirmed is None:
            state = await authors.confirmation_state(conn, site.id, hashed)
            if state == LinkState.UNKNOWN:
                raise NotFound("no such confirmation link")
            if state == LinkState.EXPIRED:
                raise LinkExpired("this confirmation link has expired")
            raise LinkUsed("this confirmation link was used already")
        await authors.mark_verified(conn, site.id, confirmed.email_hash)
        author_token = links.new_author_token(settings.secret_key, site.id, confirmed.email_hash)
        await authors.insert_token(
            conn,
            site.id,
            confirmed.email_hash,
            links.token_hash(author_token),
            AUTHOR_TOKEN_SECONDS,
        )
        released = await authors.release_unverified(conn, site.id, confirmed.email_hash)
        for comment in released:
            await webhooks.enqueue(
                conn,
                site.id,
                events.Event.CREATED,
                events.payload(events.Event.CREATED, comment, site.slug),
            )
    return Confirmation(author_token, confirmed.return_to, released)


def _signed_author(settings: Settings, site: Site, purpose: Purpose, link: str) -> bytes:
    signed = links.verify(settings.secret_key, purpose, site.id, link)
    if signed is None or len(signed.subject) != 64:
        raise NotFound("no such link")
    if signed.expires < time.time():
        raise LinkExpired("this link has expired")
    try:
        return bytes.fromhex(signed.subject)
    except ValueError:
        raise NotFound("no such link") from None


async def revoke_tokens(pool: asyncpg.Pool, settings: Settings, site: Site, email: str) -> int:
    """Revoke every author token of an address on a site (a lost or shared browser): its
    posts prove nothing until it confirms again. How many were revoked."""
    email_hash = email_fingerprint(settings.secret_key, site.id, email)
    async with pool.acquire() as conn:
        return await authors.revoke_tokens(conn, site.id, email_hash)


async def unsubscribe(pool: asyncpg.Pool, settings: Settings, site: Site, link: str) -> None:
    email_hash = _signed_author(settings, site, Purpose.UNSUBSCRIBE, link)
    async with pool.acquire() as conn:
        await authors.unsubscribe(conn, site.id, email_hash)


def check_unsubscribe_link(settings: Settings, site: Site, link: str) -> None:
    _signed_author(settings, site, Purpose.UNSUBSCRIBE, link)


def check_author_page_link(settings: Settings, site: Site, link: str) -> bytes:
    """The address (its keyed hash) an author's page link was signed for; NotFound or Gone."""
    return _signed_author(settings, site, Purpose.AUTHOR_PAGE, link)


async def own_comments(
    pool: asyncpg.Pool, settings: Settings, site: Site, link: str
) -> list[Comment]:
    email_hash = _signed_author(settings, site, Purpose.AUTHOR_PAGE, link)
    async with pool.acquire() as conn:
        return await authors.own_comments(conn, site.id, email_hash, OWN_COMMENTS_LIMIT)


async def appealable(pool: asyncpg.Pool, settings: Settings, site: Site, link: str) -> Statement:
    """The statement an appeal link is for, while it can be appealed. Raises NotFound,
    LinkExpired (410) or AlreadyAppealed (409)."""
    async with pool.acquire() as conn:
        statement, _ = await _appeal_target(conn, settings, site, link)
    return statement


async def _appeal_target(
    conn: Connection, settings: Settings, site: Site, link: str
) -> tuple[Statement, Comment]:
    signed = links.verify(settings.secret_key, Purpose.APPEAL, site.id, link)
    statement_id = None if signed is None else whole_number(signed.subject, MAX_ID)
    if signed is None or statement_id is None:
        raise NotFound("no such appeal link")
    if signed.expires < time.time():
        raise LinkExpired("the six months to appeal this decision are over")
    statement = await appeals.statement(conn, site.id, statement_id)
    if statement is None:
        raise NotFound("no such appeal link")
    comment = await comments.get(conn, site.id, statement.comment_id)
    if comment is None:
        raise NotFound("no such appeal link")
    if await appeals.appeal_of(conn, site.id, statement.id):
        raise AlreadyAppealed("this decision was appealed already")
    return statement, comment


async def open_appeal(
    pool: asyncpg.Pool, settings: Settings, site: Site, link: str, text: str
) -> Appeal:
    async with pool.acquire() as conn, conn.transaction():
        statement, comment = await _appeal_target(conn, settings, site, link)
        appeal = await appeals.insert_appeal(conn, site.id, statement.id, comment.id, text)
        if appeal is None:  # a concurrent appeal got in first
            raise AlreadyAppealed("this decision was appealed already")
        await audit.record(
            conn,
            _system(site),
            comment.id,
            action="appeal",
            from_status=comment.status.value,
            to_status=comment.status.value,
            reason=statement.reason,
            note=None,
            request_id=None,
        )
        await webhooks.enqueue(
            conn,
            site.id,
            events.Event.APPEAL_CREATED,
            events.envelope(events.Event.APPEAL_CREATED, appeal_event(appeal, statement, site)),
        )
    return appeal


def appeal_event(appeal: Appeal, statement: Statement, site: Site) -> dict[str, object]:
    """An appeal in a webhook: ids, the decision's reference and the outcome; never the
    author's address."""
    return {
        "id": str(appeal.id),
        "site": site.slug,
        "comment_id": str(appeal.comment_id),
        "statement_puid": statement.puid,
        "status": appeal.status.value,
        "outcome": None if appeal.outcome is None else appeal.outcome.value,
        "created_at": iso(appeal.created_at),
        "decided_at": iso(appeal.decided_at),
    }


@dataclass(frozen=True, slots=True)
class AppealPage:
    items: list[tuple[Appeal, Statement, Comment]]
    next_cursor: str | None


async def appeals_page(
    pool: asyncpg.Pool, actor: Actor, status: AppealStatus, after: Cursor | None, limit: int
) -> AppealPage:
    async with pool.acquire() as conn:
        rows = await appeals.appeals_page(conn, actor.site_id, status, after, limit + 1)
        items = []
        for appeal, statement in rows[:limit]:
            comment = await comments.get(conn, actor.site_id, appeal.comment_id)
            assert comment is not None  # a foreign key keeps it
            items.append((appeal, statement, comment))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        at = last.created_at if status == AppealStatus.OPEN else last.decided_at
        assert at is not None
        next_cursor = encode_cursor(at, last.id)
    return AppealPage(items, next_cursor)


@dataclass(frozen=True, slots=True)
class AppealDecision:
    appeal: Appeal
    comment: Comment


async def decide_appeal(
    pool: asyncpg.Pool,
    out: Outbound,
    actor: Actor,
    appeal_id: int,
    outcome: AppealOutcome,
    explanation: str | None,
    *,
    threads: ThreadCache,
    request_id: str | None,
) -> AppealDecision:
    """Uphold or reverse a decision on appeal. Raises NotFound, SameModerator (403: the token
    that made the decision may not judge the appeal against it) or AlreadyDecided (409)."""
    site = out.site
    async with pool.acquire() as conn, conn.transaction():
        found = await appeals.appeal(conn, actor.site_id, appeal_id)
        if found is None:
            raise NotFound("no such appeal")
        statement = await appeals.statement(conn, actor.site_id, found.statement_id)
        assert statement is not None  # a foreign key keeps it
        if statement.decided_by is not None and statement.decided_by == actor.token_id:
            raise SameModerator("an appeal is decided by another token than the decision's")
        decided = await appeals.decide_appeal(
            conn, actor.site_id, appeal_id, outcome, explanation, actor.token_id
        )
        if decided is None:
            raise AlreadyDecided("decided")
        comment = await comments.get(conn, actor.site_id, decided.comment_id)
        assert comment is not None
        from_status = comment.status
        if outcome == AppealOutcome.REVERSED:
            restored = await comments.change_status(
                conn,
                actor.site_id,
                comment.id,
                expected=Status.REJECTED,
                to=Status.APPROVED,
                reason=None,
                decided_by=actor.token_id,
            )
            if restored is not None:
                comment = restored
                payload = events.payload(events.Event.APPROVED, comment, site.slug)
                payload["data"]["via"] = "appeal"
                await webhooks.enqueue(conn, site.id, events.Event.APPROVED, payload)
                await comments.announce_thread_change(conn, site.id, comment.thread)
        await audit.record(
            conn,
            actor,
            comment.id,
            action=f"appeal_{outcome.value}",
            from_status=from_status.value,
            to_status=comment.status.value,
            reason=statement.reason,
            note=None,
            request_id=request_id,
            explanation=explanation,
        )
        await webhooks.enqueue(
            conn,
            site.id,
            events.Event.APPEAL_DECIDED,
            events.envelope(events.Event.APPEAL_DECIDED, appeal_event(decided, statement, site)),
        )
        await mails.appeal_decided(conn, out, comment, statement, outcome, explanation)
    if comment.status == Status.APPROVED:
        threads.invalidate(site.id, comment.thread)  # this instance shows it at once
    return AppealDecision(decided, comment)
