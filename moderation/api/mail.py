"""Mail endpoints (admin token): a test mail, to check that the site's mail reaches people."""

from __future__ import annotations

from aiohttp import web

from ..auth import require_site
from ..config import SETTINGS
from ..db import POOL
from ..directory import SITES
from ..domain import Role
from ..mail.outbox import queue_test_mail
from ..schemas import Fields, parse_email, parse_name, read_payload
from ..views import json_response

routes = web.RouteTableDef()


@routes.post("/v1/sites/{site}/mail/test")
async def send_test_mail(request: web.Request) -> web.Response:
    await require_site(request, Role.ADMIN)
    site = await request.app[SITES].get(request.match_info["site"])
    fields = Fields(await read_payload(request))
    to = fields.take("to", parse_email)
    name = fields.take("name", parse_name, required=False)
    fields.check()
    assert to is not None
    queued = await queue_test_mail(request.app[POOL], request.app[SETTINGS], site, to, name)
    # Never the address: the answer says only what became of the mail.
    return json_response({"id": str(queued.id), "status": queued.status.value}, status=202)
