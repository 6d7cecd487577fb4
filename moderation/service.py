"""Use cases, one transaction each. Callable from HTTP handlers, the CLI and auto-moderation."""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncpg

from . import events, tokens
from .domain import Actor, AuditEntry, Comment, Role, Site, Status
from .errors import AlreadyDecided, Invalid, NotFound
from .identity import IPAddress, email_fingerprint
from .pagination import Cursor, encode_cursor
from .schemas import Decision, Submission
from .store import audit, comments, outbox, sites
from .text.hygiene import text_direction
from .text.render import RENDERER_VERSION, render_body

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Comment]
    next_cursor: str | None


async def submit_comment(
    pool: asyncpg.Pool,
    site: Site,
    submission: Submission,
    *,
    secret_key: bytes,
    client_ip: IPAddress | None,
    request_id: str | None,
) -> Comment:
    rendered = render_body(submission.body)
    new = comments.NewComment(
        site_id=site.id,
        thread=submission.thread,
        parent_id=submission.parent_id,
        name=submission.name,
        email=submission.email,
        email_hash=email_fingerprint(secret_key, site.id, submission.email),
        website=submission.website,
        body_text=submission.body,
        body_html=rendered.html,
        body_dir=rendered.direction,
        name_dir=text_direction(submission.name),
        renderer_version=RENDERER_VERSION,
        status=Status.PENDING,
        reason=None,
        client_ip=client_ip,
        request_id=request_id,
    )
    async with pool.acquire() as conn, conn.transaction():
        if submission.parent_id is not None and not await comments.is_approved_in_thread(
            conn, site.id, submission.parent_id, submission.thread
        ):
            raise Invalid.one("parent_id", "must be an approved comment in the same thread")
        comment = await comments.insert(conn, new)
        await outbox.enqueue(
            conn,
            site.id,
            events.Event.CREATED,
            events.payload(events.Event.CREATED, comment, site.slug),
        )
    return comment


async def decide(
    pool: asyncpg.Pool,
    actor: Actor,
    comment_id: int,
    to: Status,
    decision: Decision,
    *,
    request_id: str | None,
) -> Comment:
    """Decide a pending comment. Raises NotFound, or AlreadyDecided naming the current status."""
    reason = None if decision.reason is None else decision.reason.value
    async with pool.acquire() as conn, conn.transaction():
        comment = await comments.change_status(
            conn,
            actor.site_id,
            comment_id,
            expected=Status.PENDING,
            to=to,
            reason=reason,
            decided_by=actor.token_id,
        )
        if comment is None:
            current = await comments.status_of(conn, actor.site_id, comment_id)
            raise NotFound("no such comment") if current is None else AlreadyDecided(current)
        await audit.record(
            conn,
            actor,
            comment_id,
            action="approve" if to == Status.APPROVED else "reject",
            from_status=Status.PENDING.value,
            to_status=to.value,
            reason=reason,
            note=decision.note,
            request_id=request_id,
        )
        event = events.DECISION_EVENTS[to]
        await outbox.enqueue(
            conn, actor.site_id, event, events.payload(event, comment, actor.site_slug)
        )
    return comment


async def comment_detail(
    pool: asyncpg.Pool, actor: Actor, comment_id: int
) -> tuple[Comment, list[AuditEntry]]:
    async with pool.acquire() as conn:
        comment = await comments.get(conn, actor.site_id, comment_id)
        if comment is None:
            raise NotFound("no such comment")
        return comment, await audit.history(conn, actor.site_id, comment_id)


async def thread_page(
    pool: asyncpg.Pool, site: Site, thread: str, after: Cursor | None, limit: int
) -> Page:
    async with pool.acquire() as conn:
        rows = await comments.approved_in_thread(conn, site.id, thread, after, limit + 1)
    return _page(rows, limit, Status.APPROVED, by_creation=True)


async def queue_page(
    pool: asyncpg.Pool,
    actor: Actor,
    status: Status,
    thread: str | None,
    after: Cursor | None,
    limit: int,
) -> Page:
    async with pool.acquire() as conn:
        rows = await comments.queue_page(conn, actor.site_id, status, thread, after, limit + 1)
    return _page(rows, limit, status, by_creation=status == Status.PENDING)


def _page(rows: list[Comment], limit: int, status: Status, *, by_creation: bool) -> Page:
    items = rows[:limit]
    if len(rows) <= limit:
        return Page(items, None)
    last = items[-1]
    at = last.created_at if by_creation else last.decided_at
    assert at is not None
    return Page(items, encode_cursor(at, last.id))


async def site_by_slug(pool: asyncpg.Pool, slug: str) -> Site:
    async with pool.acquire() as conn:
        site = await sites.site_by_slug(conn, slug)
    if site is None:
        raise NotFound("no such site")
    return site


async def create_site(pool: asyncpg.Pool, slug: str, name: str, origins: list[str]) -> Site:
    if not SLUG.match(slug):
        raise Invalid.one("slug", "must be 1–63 lowercase letters, digits or dashes")
    async with pool.acquire() as conn:
        return await sites.insert_site(conn, slug, name, origins)


async def create_token(pool: asyncpg.Pool, site_slug: str, role: Role) -> tuple[int, str]:
    """A new token for a site: (its id, the token itself — shown once, stored only hashed)."""
    token = tokens.new_token()
    async with pool.acquire() as conn:
        site = await sites.site_by_slug(conn, site_slug)
        if site is None:
            raise NotFound(f"no site {site_slug!r}")
        token_id = await sites.insert_token(
            conn, site.id, role, tokens.token_hash(token), tokens.display_prefix(token)
        )
    return token_id, token


async def revoke_token(pool: asyncpg.Pool, token_id: int) -> bool:
    async with pool.acquire() as conn:
        return await sites.revoke_token(conn, token_id)
