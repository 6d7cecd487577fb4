"""Moderator endpoints: the queue, one comment with its history, approve and reject."""

from __future__ import annotations

from aiohttp import web

from .. import service
from ..auth import require, require_site
from ..authors.mails import Outbound
from ..config import SETTINGS
from ..db import POOL
from ..directory import SITES
from ..domain import Status
from ..errors import FieldError, Invalid
from ..logs import REQUEST_ID
from ..metrics import METRICS, DecidedBy
from ..queueitems import QUEUE_ITEMS
from ..schemas import one_of, parse_approval, parse_rejection, read_optional_json, read_payload
from ..threadcache import THREADS
from ..views import audit_view, json_response, moderator_view, queue_items_view
from .parsing import comment_id_of, enum_query, flag_query, page_query, thread_query

routes = web.RouteTableDef()


def _expected_status(payload: dict[str, object]) -> Status:
    """The status the moderator saw: naming it lets a decided comment be decided again (take
    down, restore, undo); without it only a pending comment can be decided."""
    raw = payload.get("expected_status")
    if raw is None:
        return Status.PENDING
    try:
        expected = one_of(Status)(raw)
    except FieldError as exc:
        raise Invalid.one("expected_status", exc.message) from None
    if expected == Status.UNVERIFIED:  # waits for its author's confirmation, not a moderator
        raise Invalid.one("expected_status", "must be one of pending, approved, rejected, spam")
    return expected


@routes.get("/v1/sites/{site}/queue")
async def queue(request: web.Request) -> web.Response:
    actor = await require_site(request)
    status = enum_query(request, "status", Status, Status.PENDING)
    if status == Status.UNVERIFIED:  # waiting for the author, not for a moderator
        raise Invalid.one("status", "must be one of pending, approved, rejected, spam")
    thread = thread_query(request, required=False)
    flagged_first = flag_query(request, "flagged")
    cursor, limit = page_query(request)
    page = await service.comments.queue_page(
        request.app[POOL],
        request.app[QUEUE_ITEMS],
        actor,
        status,
        thread,
        cursor,
        limit,
        flagged_first=flagged_first,
    )
    keys = request.app[SETTINGS].email_keys
    return json_response(
        {
            "items": queue_items_view(page.items, actor.site_id, actor.site_slug, keys),
            "next_cursor": page.next_cursor,
        },
        headers={"Cache-Control": "no-store"},
    )


@routes.get("/v1/comments/{comment_id}")
async def comment_detail(request: web.Request) -> web.Response:
    actor = await require(request)
    comment, history = await service.comments.comment_detail(
        request.app[POOL], actor, comment_id_of(request)
    )
    return json_response(
        {
            **moderator_view(comment, actor.site_slug, request.app[SETTINGS].email_keys),
            "history": [audit_view(e) for e in history],
        },
        headers={"Cache-Control": "no-store"},
    )


@routes.post("/v1/comments/{comment_id}/approve")
async def approve(request: web.Request) -> web.Response:
    return await _decide(request, Status.APPROVED)


@routes.post("/v1/comments/{comment_id}/reject")
async def reject(request: web.Request) -> web.Response:
    return await _decide(request, Status.REJECTED)


async def _decide(request: web.Request, to: Status) -> web.Response:
    actor = await require(request)
    comment_id = comment_id_of(request)
    if to == Status.APPROVED:
        payload = await read_optional_json(request)
        decision = parse_approval(payload)
    else:
        payload = await read_payload(request)
        decision = parse_rejection(payload)
    comment = await service.comments.decide(
        request.app[POOL],
        actor,
        comment_id,
        to,
        decision,
        threads=request.app[THREADS],
        request_id=request[REQUEST_ID],
        expected=_expected_status(payload),
        outbound=Outbound(request.app[SETTINGS], await request.app[SITES].get(actor.site_slug)),
    )
    request.app[METRICS].comment_decided(actor.site_slug, to, DecidedBy.TOKEN)
    return json_response(moderator_view(comment, actor.site_slug, request.app[SETTINGS].email_keys))
