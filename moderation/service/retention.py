"""Retention (issue 13): apply a site's schedule — forget IP addresses and, if the site says
so, authors' addresses; purge rejected, spam and unverified comments; drop finished webhook
deliveries and mails. Each batch (at most BATCH rows) is its own short transaction; rows are
claimed with SKIP LOCKED, so several sweepers at once purge each row once. Idempotent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta

import asyncpg

from ..domain import Site, SiteSettings
from ..store import Connection, comments, retention, subjects
from ..threadcache import ThreadCache
from .subjects import every_site, forget_addresses, placeholders, site_named

BATCH = 500  # rows claimed per statement and transaction
AUTHORS_PER_BATCH = 100  # addresses read per step of the walk over a site's authors

# After each batch the sweeper rests three times as long as the batch took, so it works at most
# a quarter of the time: a big backlog takes longer, reads and ingest keep their speed.
REST_FACTOR = 3.0

# Every kind the sweeper counts, in the order it runs them (also the metric's label values):
# the deletions first, so no work is spent forgetting parts of rows about to go.
KINDS = (
    "spam",
    "unverified",
    "rejected",
    "email",
    "ip",
    "report_network",
    "webhook_delivery",
    "mail",
)

# (kind, rows changed, seconds the batch's transaction took)
BatchObserver = Callable[[str, int, float], None]


def days_of(settings: SiteSettings) -> dict[str, int | None]:
    days = {
        "spam": settings.purge_spam_days,
        "unverified": settings.purge_unverified_days,
        "rejected": settings.purge_rejected_days,
        "email": settings.retain_email_days,
        "ip": settings.retain_ip_days,
        "report_network": settings.retain_ip_days,
        "webhook_delivery": settings.retain_deliveries_days,
        "mail": settings.retain_deliveries_days,
    }
    assert tuple(days) == KINDS
    return days


def cutoffs(settings: SiteSettings, now: datetime) -> dict[str, datetime]:
    """The kinds the site limits, each with the moment before which its rows are due."""
    return {
        kind: now - timedelta(days=days)
        for kind, days in days_of(settings).items()
        if days is not None
    }


async def sweep(
    pool: asyncpg.Pool,
    *,
    site_slug: str | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    threads: ThreadCache | None = None,
    observe: BatchObserver | None = None,
    kinds: Collection[str] = KINDS,
) -> dict[str, dict[str, int]]:
    """Every site's schedule (or one site's), for the given kinds: rows purged — with
    `dry_run`, due and left as they are — by site slug and kind. Raises NotFound for an
    unknown `site_slug`."""
    sites = [await site_named(pool, site_slug)] if site_slug else await every_site(pool)
    at = now or datetime.now(UTC)
    return {
        site.slug: await sweep_site(
            pool, site, now=at, dry_run=dry_run, threads=threads, observe=observe, kinds=kinds
        )
        for site in sites
    }


async def sweep_site(
    pool: asyncpg.Pool,
    site: Site,
    *,
    now: datetime,
    dry_run: bool = False,
    threads: ThreadCache | None = None,
    observe: BatchObserver | None = None,
    kinds: Collection[str] = KINDS,
) -> dict[str, int]:
    counts = {}
    for kind, before in cutoffs(site.settings, now).items():
        if kind not in kinds:
            continue
        if dry_run:
            async with pool.acquire() as conn:
                if kind == "email":
                    counts[kind] = await retention.count_due_addresses(conn, site.id, before)
                else:
                    counts[kind] = await retention.count_due(conn, kind, site.id, before)
        elif kind == "email":
            counts[kind] = await _expire_addresses(pool, site, before, threads, observe)
        else:
            counts[kind] = await _purge_all(pool, site, kind, before, observe)
    return counts


async def _purge_all(
    pool: asyncpg.Pool, site: Site, kind: str, before: datetime, observe: BatchObserver | None
) -> int:
    total = 0
    while True:
        started = time.perf_counter()
        async with pool.acquire() as conn, conn.transaction():
            claimed = await retention.claim_due(conn, kind, site.id, before, BATCH)
            done = await _purge_batch(conn, site, kind, claimed) if claimed else 0
        elapsed = time.perf_counter() - started
        if observe is not None and claimed:
            observe(kind, done, elapsed)
        total += done
        # A short batch means none were left (or the rest are another sweeper's right now).
        if len(claimed) < BATCH:
            return total
        await asyncio.sleep(elapsed * REST_FACTOR)


async def _purge_batch(
    conn: Connection, site: Site, kind: str, claimed: list[asyncpg.Record]
) -> int:
    ids = [r["id"] for r in claimed]
    if kind == "ip":
        return await retention.forget_ips(conn, site.id, ids)
    if kind == "report_network":
        return await retention.forget_networks(conn, site.id, ids)
    if kind in ("webhook_delivery", "mail"):
        return await retention.delete_finished(conn, kind, site.id, ids)
    # Comments: deleted where nothing refers to them, else "comment removed" placeholders,
    # as an erase in `delete` mode leaves them (the audit's decisions and statements stay).
    words = placeholders(site.settings.language)
    deleted = set(await retention.delete_unreferenced(conn, site.id, ids))
    kept = [i for i in ids if i not in deleted]
    if kept:
        await subjects.purge_comments(conn, site.id, kept, words)
        await subjects.clear_audit_notes(conn, site.id, kept)
        await subjects.erase_appeals(conn, site.id, kept, words.appeal)
    await subjects.redact_deliveries(conn, site.id, ids, delete=True, words=words)
    if kind == "unverified":
        hashes = sorted({r["email_hash"] for r in claimed if r["email_hash"] is not None})
        # Only addresses nobody is posting with right now: their author record may go.
        free = await comments.try_lock_authors(conn, site.id, hashes)
        await retention.delete_expired_confirmations(conn, site.id, free)
    return len(ids)


async def _expire_addresses(
    pool: asyncpg.Pool,
    site: Site,
    before: datetime,
    threads: ThreadCache | None,
    observe: BatchObserver | None,
) -> int:
    """Walk the site's authors; forget the address of each whose last comment is older than
    `before`. Returns the comments that lost their address."""
    total = 0
    cursor: bytes | None = b""
    shown: set[str] = set()
    while cursor is not None:
        step = time.perf_counter()
        async with pool.acquire() as conn:
            due, cursor = await retention.authors_after(
                conn, site.id, cursor, before, AUTHORS_PER_BATCH
            )
        await asyncio.sleep((time.perf_counter() - step) * REST_FACTOR)
        if not due:
            continue
        started = time.perf_counter()
        async with pool.acquire() as conn, conn.transaction():
            # Skip an author posting right now (their lock is taken): they are not due.
            locked = await comments.try_lock_authors(conn, site.id, sorted(due))
            hashes = await retention.still_due(conn, site.id, locked, before)
            expired = await subjects.expire_comments(conn, site.id, hashes)
            await forget_addresses(conn, site.id, hashes, delete_reports=False)
            threads_now = {c.thread for c in expired if c.status == "approved"}
            for thread in sorted(threads_now):
                await comments.announce_thread_change(conn, site.id, thread)
        shown |= threads_now
        elapsed = time.perf_counter() - started
        if observe is not None:
            observe("email", len(expired), elapsed)
        total += len(expired)
        await asyncio.sleep(elapsed * REST_FACTOR)
    if threads is not None:
        for thread in shown:
            threads.invalidate(site.id, thread)
    return total
