"""Webhook events: their names and payloads (the public view plus the decision, never the email)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .domain import Comment, Status
from .views import iso, public_view


class Event(StrEnum):
    CREATED = "comment.created"
    APPROVED = "comment.approved"
    REJECTED = "comment.rejected"
    # A reader reported a published comment (category and counts, never who reported).
    REPORTED = "comment.reported"
    # A moderator decided on a comment's reports: keep or remove.
    REPORT_RESOLVED = "report.resolved"
    # An endpoint was disabled (its receiver answered 410 Gone): sent to the site's others.
    ENDPOINT_DISABLED = "endpoint.disabled"
    # An author appealed a decision; a moderator decided the appeal (issue 11).
    APPEAL_CREATED = "appeal.created"
    APPEAL_DECIDED = "appeal.decided"
    # An author's data was erased (issue 13): the comment ids only, so sites erase their copies.
    AUTHOR_ERASED = "author.erased"


ALL_EVENTS = tuple(e.value for e in Event)

# A comment marked spam leaves the site as a rejected one does; its reason says why.
DECISION_EVENTS = {
    Status.APPROVED: Event.APPROVED,
    Status.REJECTED: Event.REJECTED,
    Status.SPAM: Event.REJECTED,
}


def envelope(event: Event, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event.value, "timestamp": iso(datetime.now(UTC)), "data": data}


def payload(event: Event, comment: Comment, site_slug: str) -> dict[str, Any]:
    data = public_view(comment, site_slug)
    if event != Event.CREATED:
        data["reason"] = comment.reason
        data["decided_at"] = iso(comment.decided_at)
    return envelope(event, data)
