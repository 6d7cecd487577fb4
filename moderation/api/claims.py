"""Claiming a batch of the queue: each moderator reviews comments nobody else is reviewing."""

from __future__ import annotations

from aiohttp import web

from .. import service
from ..auth import claimant, require_site
from ..db import POOL
from ..errors import FieldError
from ..schemas import Fields, parse_thread, read_optional_json
from ..views import json_response, queue_item_view

routes = web.RouteTableDef()

DEFAULT_BATCH = 50
MAX_BATCH = 100


def _batch_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_BATCH:
        raise FieldError("", f"must be a whole number from 1 to {MAX_BATCH}")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise FieldError("", "must be true or false")
    return value


@routes.post("/v1/sites/{site}/queue/claim")
async def claim(request: web.Request) -> web.Response:
    actor = await require_site(request)
    fields = Fields(await read_optional_json(request))
    limit = fields.take("limit", _batch_size, required=False)
    thread = fields.take("thread", parse_thread, required=False)
    flagged_first = fields.take("flagged_first", _flag, required=False)
    fields.check()
    batch = await service.comments.claim_batch(
        request.app[POOL],
        actor,
        claimant(request, actor),
        limit or DEFAULT_BATCH,
        thread,
        flagged_first=bool(flagged_first),
    )
    return json_response(
        {
            "items": [queue_item_view(c, actor.site_slug, batch.histories) for c in batch.items],
            "counts": {status.value: n for status, n in batch.counts.items()},
            "lease_seconds": int(service.comments.CLAIM_LEASE_SECONDS),
        },
        headers={"Cache-Control": "no-store"},
    )


@routes.delete("/v1/sites/{site}/queue/claim")
async def release(request: web.Request) -> web.Response:
    actor = await require_site(request)
    await service.comments.release_claims(request.app[POOL], actor, claimant(request, actor))
    return web.Response(status=204)
