"""Moderators' side of appeals: the appeals queue and deciding an appeal."""

from __future__ import annotations

import structlog
from aiohttp import web

from ..auth import require, require_site
from ..authors.mails import Outbound
from ..config import SETTINGS
from ..db import POOL
from ..directory import SITES
from ..domain import AppealOutcome, AppealStatus
from ..logs import REQUEST_ID
from ..schemas import Fields, one_of, parse_explanation, read_payload
from ..service import authors
from ..threadcache import THREADS
from ..views import appeal_view, json_response, moderator_view
from .parsing import enum_query, id_of, page_query

log = structlog.get_logger("moderation.appeals")
routes = web.RouteTableDef()


@routes.get("/v1/sites/{site}/appeals")
async def list_appeals(request: web.Request) -> web.Response:
    actor = await require_site(request)
    status = enum_query(request, "status", AppealStatus, AppealStatus.OPEN)
    cursor, limit = page_query(request)
    page = await authors.appeals_page(request.app[POOL], actor, status, cursor, limit)
    items = [
        {
            **appeal_view(appeal, statement),
            "comment": moderator_view(comment, actor.site_slug, request.app[SETTINGS].email_keys),
        }
        for appeal, statement, comment in page.items
    ]
    return json_response(
        {"items": items, "next_cursor": page.next_cursor}, headers={"Cache-Control": "no-store"}
    )


@routes.post("/v1/appeals/{appeal_id}/decide")
async def decide_appeal(request: web.Request) -> web.Response:
    actor = await require(request)
    appeal_id = id_of(request, "appeal_id", "appeal")
    fields = Fields(await read_payload(request))
    outcome = fields.take("outcome", one_of(AppealOutcome))
    explanation = fields.take("explanation", parse_explanation, required=False)
    fields.check()
    assert outcome is not None
    site = await request.app[SITES].get(actor.site_slug)
    decided = await authors.decide_appeal(
        request.app[POOL],
        Outbound(request.app[SETTINGS], site),
        actor,
        appeal_id,
        outcome,
        explanation or None,
        threads=request.app[THREADS],
        request_id=request[REQUEST_ID],
    )
    log.info("appeal_decided", appeal_id=appeal_id, outcome=outcome.value, token_id=actor.token_id)
    return json_response(
        {
            "id": str(decided.appeal.id),
            "status": decided.appeal.status.value,
            "outcome": outcome.value,
            "comment": moderator_view(
                decided.comment, actor.site_slug, request.app[SETTINGS].email_keys
            ),
        }
    )
