"""Claiming a batch of the queue: each moderator reviews comments nobody else is reviewing."""

from __future__ import annotations

from aiohttp import web

from .. import service
from ..auth import claimant, require_site
from ..config import SETTINGS
from ..db import POOL
from ..queueitems import QUEUE_ITEMS
from ..schemas import Fields, boolean, parse_thread, read_optional_json, whole_in
from ..views import json_response, queue_items_view

routes = web.RouteTableDef()

DEFAULT_BATCH = 50
MAX_BATCH = 100


@routes.post("/v1/sites/{site}/queue/claim")
async def claim(request: web.Request) -> web.Response:
    actor = await require_site(request)
    fields = Fields(await read_optional_json(request))
    limit = fields.take("limit", whole_in(1, MAX_BATCH), required=False)
    thread = fields.take("thread", parse_thread, required=False)
    flagged_first = fields.take("flagged_first", boolean, required=False)
    fields.check()
    batch = await service.comments.claim_batch(
        request.app[POOL],
        request.app[QUEUE_ITEMS],
        actor,
        claimant(request, actor),
        limit or DEFAULT_BATCH,
        thread,
        flagged_first=bool(flagged_first),
    )
    keys = request.app[SETTINGS].email_keys
    return json_response(
        {
            "items": queue_items_view(batch.items, actor.site_id, actor.site_slug, keys),
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
