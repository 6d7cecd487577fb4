"""Data subjects (admin token): export everything held about an address on a site, or erase
it. The answer never says whether the address was known beyond its counts."""

from __future__ import annotations

from aiohttp import web

from ..auth import require_site
from ..config import SETTINGS
from ..db import POOL
from ..directory import SITES
from ..domain import EraseMode, Role
from ..schemas import Fields, one_of, parse_email, read_payload
from ..service import subjects
from ..threadcache import THREADS
from ..views import erasure_view, json_response

routes = web.RouteTableDef()
PATH = "/v1/sites/{site}/data-subjects"
NO_STORE = {"Cache-Control": "no-store"}


@routes.post(PATH + "/export")
async def export(request: web.Request) -> web.Response:
    await require_site(request, Role.ADMIN)
    site = await request.app[SITES].get(request.match_info["site"])
    fields = Fields(await read_payload(request))
    email = fields.take("email", parse_email)
    fields.check()
    assert email is not None
    email_hash = subjects.subject_hash(request.app[SETTINGS].secret_key, site, email)
    document = await subjects.export(
        request.app[POOL], site, email_hash, request.app[SETTINGS].email_keys
    )
    return json_response(document, headers=NO_STORE)


@routes.post(PATH + "/erase")
async def erase(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    site = await request.app[SITES].get(request.match_info["site"])
    fields = Fields(await read_payload(request))
    email = fields.take("email", parse_email)
    mode = fields.take("mode", one_of(EraseMode), required=False) or EraseMode.ANONYMIZE
    fields.check()
    assert email is not None
    email_hash = subjects.subject_hash(request.app[SETTINGS].secret_key, site, email)
    erasure = await subjects.erase(
        request.app[POOL],
        site,
        email_hash,
        mode,
        actor=actor,
        threads=request.app[THREADS],
    )
    return json_response(erasure_view(site.slug, erasure), headers=NO_STORE)
