"""Site settings (admin token): moderation policy, word rules, link and rate limits, and how the
site's mail reads (sender name, reply-to, language, its public and terms URLs)."""

from __future__ import annotations

from aiohttp import web

from ..auth import require_site
from ..db import POOL
from ..directory import SITES
from ..domain import Role
from ..ratelimit.refusals import REFUSALS
from ..schemas import parse_settings_patch, read_payload
from ..service import admin
from ..views import json_response, settings_view

routes = web.RouteTableDef()
PATH = "/v1/sites/{site}/settings"


@routes.get(PATH)
async def get_settings(request: web.Request) -> web.Response:
    await require_site(request, Role.ADMIN)
    site = await request.app[SITES].get(request.match_info["site"])
    return json_response(settings_view(site.settings), headers={"Cache-Control": "no-store"})


@routes.patch(PATH)
async def patch_settings(request: web.Request) -> web.Response:
    await require_site(request, Role.ADMIN)
    directory = request.app[SITES]
    site = await directory.get(request.match_info["site"])
    changes = parse_settings_patch(await read_payload(request))
    updated = await admin.change_settings(
        request.app[POOL], directory, request.app[REFUSALS], site, changes
    )
    return json_response(settings_view(updated), headers={"Cache-Control": "no-store"})
