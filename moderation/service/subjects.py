"""Data subjects' rights (issue 13), one transaction each: export everything held about an
address on a site, and erase it everywhere it lives. The admin API, the CLI and the author's
own page all call these."""

from __future__ import annotations

import html
from typing import Any

import asyncpg
import structlog

from .. import events
from ..domain import Actor, EraseMode, Erasure, Language, Site
from ..errors import NotFound
from ..identity import email_fingerprint
from ..sealing import Keyring, Place, Stored, readable
from ..store import Connection, comments, sites, subjects, webhooks
from ..store.subjects import Placeholders
from ..threadcache import ThreadCache
from ..views import iso

log = structlog.get_logger("moderation.subjects")


_WORDS = {
    Language.EN: ("Deleted author", "Comment removed", "Appeal text removed"),
    Language.AR: ("كاتب محذوف", "تعليق محذوف", "حُذف نص الاعتراض"),
}


def placeholders(language: Language) -> Placeholders:
    name, removed, appeal = _WORDS[language]
    return Placeholders(
        name=name,
        name_dir=language.direction,
        body_text=removed,
        body_html=f"<p>{html.escape(removed)}</p>",
        appeal=appeal,
    )


def subject_hash(secret_key: bytes, site: Site, email: str) -> bytes:
    return email_fingerprint(secret_key, site.id, email)


async def export(
    pool: asyncpg.Pool, site: Site, email_hash: bytes, keys: Keyring
) -> dict[str, Any]:
    """Everything held about the address on the site, as one JSON-ready document (the
    moderators' internal notes excepted; the sealed addresses opened). An unknown address gets
    the same, empty, shape."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        rows = await subjects.comments_of(conn, site.id, email_hash)
        ids = [r["id"] for r in rows]
        decisions = await subjects.decisions_of(conn, site.id, ids)
        statements = await subjects.statements_of(conn, site.id, ids)
        appeals = await subjects.appeals_of(conn, site.id, ids)
        filed = await subjects.reports_by(conn, site.id, email_hash)
        author = await subjects.author_of(conn, site.id, email_hash)
        mails = await subjects.mails_to(conn, site.id, email_hash)
    by_comment: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for d in decisions:
        by_comment[d["comment_id"]].append(
            {
                "action": d["action"],
                "actor": d["actor"],
                "from_status": d["from_status"],
                "to_status": d["to_status"],
                "reason": d["reason"],
                "explanation": d["explanation"],
                "at": iso(d["at"]),
            }
        )
    return {
        "site": site.slug,
        "comments": [_exported_comment(r, by_comment[r["id"]], keys) for r in rows],
        "statements_of_reasons": [
            {
                "comment_id": str(s["comment_id"]),
                "puid": s["puid"],
                "decision": s["decision"],
                "reason": s["reason"],
                "explanation": s["explanation"],
                "legal_ground": s["legal_ground"],
                "automated_detection": s["automated_detection"],
                "at": iso(s["created_at"]),
            }
            for s in statements
        ],
        "appeals": [
            {
                "id": str(a["id"]),
                "comment_id": str(a["comment_id"]),
                "text": a["body"],
                "status": a["status"],
                "outcome": a["outcome"],
                "explanation": a["explanation"],
                "created_at": iso(a["created_at"]),
                "decided_at": iso(a["decided_at"]),
            }
            for a in appeals
        ],
        "reports_filed": [
            {
                "reference": r["reference"],
                "comment_id": str(r["comment_id"]),
                "category": r["category"],
                "explanation": r["explanation"],
                "legal_ground": r["legal_ground"],
                "good_faith": r["good_faith"],
                "reporter_name": r["reporter_name"],
                "reporter_email": _opened(keys, Place.REPORTER_EMAIL, site, r, "reporter_email"),
                "created_at": iso(r["created_at"]),
                "case_status": r["case_status"],
                "outcome": r["action"],
                "resolved_at": iso(r["resolved_at"]),
            }
            for r in filed
        ],
        "author": None
        if author is None
        else {
            "verified_at": iso(author["verified_at"]),
            "unsubscribed_at": iso(author["unsubscribed_at"]),
            "first_seen_at": iso(author["created_at"]),
            "confirmation_links": author["confirmations"],
            "live_author_tokens": author["live_tokens"],
            "undeliverable": author["undeliverable"],
        },
        "mails": [
            {
                "kind": m["kind"],
                "subject": m["subject"],
                "status": m["status"],
                "attempts": m["attempts"],
                "created_at": iso(m["created_at"]),
                "completed_at": iso(m["completed_at"]),
            }
            for m in mails
        ],
    }


def _opened(keys: Keyring, place: Place, site: Site, row: Any, column: str) -> str | None:
    """A row's address (`column`, its sealed twin and key id), opened."""
    stored = Stored.of(place, site.id, row[f"{column}_sealed"], row[f"{column}_key"], row[column])
    return readable(keys, stored)


def _exported_comment(
    row: dict[str, Any], decisions: list[dict[str, Any]], keys: Keyring
) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "thread": row["thread"],
        "parent_id": None if row["parent_id"] is None else str(row["parent_id"]),
        "name": row["name"],
        "email": readable(
            keys,
            Stored.of(
                Place.COMMENT_EMAIL,
                row["site_id"],
                row["email_sealed"],
                row["email_key"],
                row["email_plain"],
            ),
        ),
        "website": row["website"],
        "ip_address": row["client_ip"],
        "body_text": row["body_text"],
        "body_html": row["body_html"],
        "page_url": row["page_url"],
        "status": row["status"],
        "reason": row["reason"],
        "notify": row["notify"],
        "proven": row["proven"],
        "created_at": iso(row["created_at"]),
        "decided_at": iso(row["decided_at"]),
        "decisions": decisions,
    }


async def erase(
    pool: asyncpg.Pool,
    site: Site,
    email_hash: bytes,
    mode: EraseMode,
    *,
    actor: Actor | None,
    threads: ThreadCache | None,
) -> Erasure:
    """Erase the address from every table of the site, in one transaction.

    It takes the author's lock that `submit_comment` takes too, so a comment posted during the
    erase is either committed before it (and erased) or waits for it (and is kept: a new act
    after the erase). Approved threads it touched are announced to every instance."""
    delete = mode == EraseMode.DELETE
    words = placeholders(site.settings.language)
    async with pool.acquire() as conn, conn.transaction():
        await comments.lock_author(conn, site.id, email_hash)
        erased = await subjects.erase_comments(
            conn, site.id, email_hash, delete=delete, words=words
        )
        ids = [c.id for c in erased]
        counts = {"comments": len(erased)}
        counts["audit_notes"] = await subjects.clear_audit_notes(conn, site.id, ids)
        counts["appeals"] = await subjects.erase_appeals(conn, site.id, ids, words.appeal)
        counts["webhook_deliveries"] = await subjects.redact_deliveries(
            conn, site.id, ids, delete=delete, words=words
        )
        counts.update(await forget_addresses(conn, site.id, [email_hash], delete_reports=delete))
        if ids:
            token_id = None if actor is None else actor.token_id
            await subjects.record_erasure(conn, site.id, ids, token_id, f"erase_{mode.value}")
            await webhooks.enqueue(
                conn,
                site.id,
                events.Event.AUTHOR_ERASED,
                events.envelope(
                    events.Event.AUTHOR_ERASED,
                    {"site": site.slug, "mode": mode.value, "comment_ids": [str(i) for i in ids]},
                ),
            )
        shown = sorted({c.thread for c in erased if c.status == "approved"})
        for thread in shown:
            await comments.announce_thread_change(conn, site.id, thread)
    if threads is not None:  # the CLI has none: the running instances hear the NOTIFY
        for thread in shown:
            threads.invalidate(site.id, thread)  # this instance at once
    log.info("author_erased", site=site.slug, mode=mode.value, comments=len(ids))
    return Erasure(mode, ids, counts)


async def forget_addresses(
    conn: Connection, site_id: int, email_hashes: list[bytes], *, delete_reports: bool
) -> dict[str, int]:
    """Everything but the comments that an erase (and the retention of addresses) removes:
    the reports' reporter, the mails, the author records and the per-author limits. The
    caller holds the authors' locks, in its transaction."""
    counts = {
        "reports": await subjects.erase_reports(conn, site_id, email_hashes, delete=delete_reports),
        "mails": await subjects.delete_mails(conn, site_id, email_hashes),
    }
    counts.update(await subjects.delete_author(conn, site_id, email_hashes))
    counts["rate_limits"] = await subjects.delete_author_limits(conn, site_id, email_hashes)
    return counts


async def site_named(pool: asyncpg.Pool, slug: str) -> Site:
    async with pool.acquire() as conn:
        site = await sites.site_by_slug(conn, slug)
    if site is None:
        raise NotFound(f"no site {slug!r}")
    return site


async def every_site(pool: asyncpg.Pool) -> list[Site]:
    """Every site, for the operator's erase across sites (each site erased on its own)."""
    async with pool.acquire() as conn:
        slugs = await subjects.site_slugs(conn)
    return [await site_named(pool, slug) for slug in slugs]
