"""Moderators' side of appeals: the appeals queue and deciding an appeal."""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from ..auth import require, require_site
from ..authors.mails import Outbound
from ..config import SETTINGS
from ..db import POOL
from ..directory import SITES
from ..logs import REQUEST_ID
from ..schemas import Fields, one_of, parse_explanation, read_payload
from ..service import authors
from ..store.appeals import Appeal, AppealStatus, Outcome, Statement
from ..threadcache import THREADS
from ..views import iso, json_response, moderator_view
from .parsing import enum_query, id_of, page_query

log = structlog.get_logger("moderation.appeals")
routes = web.RouteTableDef()


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


@routes.get("/v1/sites/{site}/appeals")
async def list_appeals(request: web.Request) -> web.Response:
    actor = await require_site(request)
    status = enum_query(request, "status", AppealStatus, AppealStatus.OPEN)
    cursor, limit = page_query(request)
    page = await authors.appeals_page(request.app[POOL], actor, status, cursor, limit)
    items = [
        {**appeal_view(appeal, statement), "comment": moderator_view(comment, actor.site_slug)}
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
    outcome = fields.take("outcome", one_of(Outcome))
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
            "comment": moderator_view(decided.comment, actor.site_slug),
        }
    )
