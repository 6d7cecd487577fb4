"""Output allowlists: what each audience may see of a comment. Never `asdict(row)`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, overload

from aiohttp import web

from . import jsontext
from .domain import (
    Appeal,
    AuditEntry,
    Comment,
    Erasure,
    QueueItem,
    Report,
    ReportCase,
    SiteSettings,
    Statement,
    Status,
)
from .sealing import Keyring, Place, Stored, readable


@overload
def iso(at: datetime) -> str: ...
@overload
def iso(at: None) -> None: ...
@overload
def iso(at: datetime | None) -> str | None: ...
def iso(at: datetime | None) -> str | None:
    """A UTC time as ISO 8601 with a Z, the one format every response and payload uses."""
    return None if at is None else at.isoformat().replace("+00:00", "Z")


def public_view(comment: Comment, site_slug: str) -> dict[str, Any]:
    """What anyone may see: never the email, its hash, the IP or moderation internals."""
    return {
        "id": str(comment.id),
        "site": site_slug,
        "thread": comment.thread,
        "parent_id": None if comment.parent_id is None else str(comment.parent_id),
        "name": comment.name,
        "name_dir": comment.name_dir,
        "website": comment.website,
        "body_html": comment.body_html,
        "body_dir": comment.body_dir,
        "status": comment.status.value,
        "created_at": iso(comment.created_at),
    }


def receipt_view(comment: Comment, site_slug: str) -> dict[str, Any]:
    """The answer to the author who posted: the public view, but spam reads as pending — a bot
    that filled the trap learns nothing."""
    view = public_view(comment, site_slug)
    if comment.status == Status.SPAM:
        view["status"] = Status.PENDING.value
    return view


def settings_view(settings: SiteSettings) -> dict[str, Any]:
    return {
        "policy": settings.policy.value,
        "max_links": settings.max_links,
        "banned_terms": list(settings.banned_terms),
        "suspect_terms": list(settings.suspect_terms),
        "flood_seconds": settings.flood_seconds,
        "hourly_limit": settings.hourly_limit,
        "mail_sender_name": settings.mail_sender_name,
        "mail_reply_to": settings.mail_reply_to,
        "language": settings.language.value,
        "public_url": settings.public_url,
        "terms_url": settings.terms_url,
        "report_threshold": settings.report_threshold,
        "report_action": settings.report_action.value,
        "require_verified_email": settings.require_verified_email,
        "statement_of_reasons": settings.statement_of_reasons.value,
        "redress_text": settings.redress_text,
        "retain_ip_days": settings.retain_ip_days,
        "retain_email_days": settings.retain_email_days,
        "purge_rejected_days": settings.purge_rejected_days,
        "purge_spam_days": settings.purge_spam_days,
        "purge_unverified_days": settings.purge_unverified_days,
        "retain_deliveries_days": settings.retain_deliveries_days,
    }


def decided_by(comment: Comment) -> str | None:
    if comment.decided_at is None:
        return None
    return "system" if comment.decided_by is None else f"token:{comment.decided_by}"


def address_view(keys: Keyring, stored: Stored | None, field: str) -> dict[str, Any]:
    """An address for moderators, opened from its sealed form; where it does not open (an
    unknown key id, a failed tag: logged) `<field>_unavailable` says so and the page stands."""
    address = readable(keys, stored)
    return {field: address, f"{field}_unavailable": stored is not None and address is None}


def moderator_view(comment: Comment, site_slug: str, keys: Keyring) -> dict[str, Any]:
    view = public_view(comment, site_slug)
    view.update(address_view(keys, comment.email, "email"))
    view["body_text"] = comment.body_text
    view["decided_at"] = iso(comment.decided_at)
    view["decided_by"] = decided_by(comment)
    view["reason"] = comment.reason
    view["flags"] = list(comment.flags)
    # Posted with the author token of a confirmed address (issue 11).
    view["proven"] = comment.proven
    return view


def audit_view(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "action": entry.action,
        "actor": "system" if entry.token_id is None else f"token:{entry.token_id}",
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "reason": entry.reason,
        "note": entry.note,
        "at": iso(entry.at),
    }


def queue_items_view(
    items: list[QueueItem], site_id: int, site_slug: str, keys: Keyring
) -> list[jsontext.Written]:
    """Queue items: each the moderator view with the author's record on this site (moderators
    only). The view comes written as JSON (store.comments, queueitems.py); the site, the
    address (as in address_view) and the author's record are put around it here, the
    addresses opened where the keys are."""
    site = b'{"site":' + jsontext.dumps_bytes(site_slug) + b',"email":'
    columns = [row[2:5] for row, _ in items]
    addresses = keys.readable_columns(Place.COMMENT_EMAIL, site_id, columns)
    return [
        jsontext.Written(
            site
            + jsontext.dumps_bytes(address)
            + (_UNAVAILABLE if address is None and row.email_sealed is not None else _AVAILABLE)
            + view
            + _AUTHOR % (row.approved, row.rejected)
        )
        for (row, view), address in zip(items, addresses, strict=True)
    ]


_AVAILABLE, _UNAVAILABLE = b',"email_unavailable":false,', b',"email_unavailable":true,'
_AUTHOR = b',"author":{"approved":%d,"rejected":%d}}'


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=jsontext.dumps_bytes(data),
        status=status,
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def json_bytes(data: Any) -> bytes:
    return jsontext.dumps_bytes(data)


def conditional_response(
    request: web.Request, etag: str, body: bytes, *, cache_control: str
) -> web.Response:
    """A cacheable JSON answer with a strong ETag; `If-None-Match` with that tag gets a 304."""
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if _etag_matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


def report_receipt_view(report: Report, status: str) -> dict[str, Any]:
    """What a reporter gets back: the reference and status of the report. Nothing it says was
    sent: a reader on the network of an earlier reporter without an address gets that report
    back, and must learn nothing of what it said."""
    return {
        "reference": report.reference,
        "status": status,
        "comment_id": str(report.comment_id),
        "created_at": iso(report.created_at),
    }


def report_view(report: Report, keys: Keyring) -> dict[str, Any]:
    """One report as moderators see it (the reporter's address included: moderators only)."""
    return {
        "reference": report.reference,
        "category": report.category.value,
        "explanation": report.explanation,
        "legal_ground": report.legal_ground,
        "good_faith": report.good_faith,
        "reporter_name": report.reporter_name,
        **address_view(keys, report.reporter_email, "reporter_email"),
        "created_at": iso(report.created_at),
    }


def report_case_view(
    case: ReportCase, comment: Comment, reports: list[Report], site_slug: str, keys: Keyring
) -> dict[str, Any]:
    return {
        "comment": moderator_view(comment, site_slug, keys),
        "status": case.status,
        "reporters": case.reporters,
        "reports": len(reports),
        "categories": [c.value for c in case.categories],
        "queued_at": iso(case.queued_at),
        "hidden": case.hidden,
        "first_report_at": iso(case.first_report_at),
        "last_report_at": iso(case.last_report_at),
        "action": None if case.action is None else case.action.value,
        "reason": case.reason,
        "explanation": case.explanation,
        "resolved_at": iso(case.resolved_at),
        "resolved_by": None if case.resolved_by is None else f"token:{case.resolved_by}",
        "items": [report_view(r, keys) for r in reports],
    }


def own_comment_view(comment: Comment, site_slug: str) -> dict[str, object]:
    """What the author sees of their own comment: the public view, its status and reason,
    their own text as written, never the moderators' internals."""
    return {
        **public_view(comment, site_slug),
        "body_text": comment.body_text,
        "reason": comment.reason,
        "decided_at": iso(comment.decided_at),
        "page_url": comment.page_url,
    }


def appeal_view(appeal: Appeal, statement: Statement) -> dict[str, Any]:
    return {
        "id": str(appeal.id),
        "status": appeal.status.value,
        "text": appeal.body,
        "outcome": None if appeal.outcome is None else appeal.outcome.value,
        "explanation": appeal.explanation,
        "decided_by": None if appeal.decided_by is None else f"token:{appeal.decided_by}",
        "decided_at": iso(appeal.decided_at),
        "created_at": iso(appeal.created_at),
        "decision": {
            "puid": statement.puid,
            "kind": statement.decision,
            "reason": statement.reason,
            "explanation": statement.explanation,
            "legal_ground": statement.legal_ground,
            "decided_by": "system"
            if statement.decided_by is None
            else f"token:{statement.decided_by}",
            "automated": statement.automated_detection,
            "at": iso(statement.created_at),
        },
    }


def erasure_view(site_slug: str, erasure: Erasure) -> dict[str, Any]:
    """Counts per place and the comment ids (as in the `author.erased` event); never the
    address."""
    return {
        "site": site_slug,
        "mode": erasure.mode.value,
        "comment_ids": [str(i) for i in erasure.comment_ids],
        "erased": erasure.counts,
    }
