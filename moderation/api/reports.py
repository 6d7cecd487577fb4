"""Readers report published comments (no login); moderators resolve the reports; admins read
the site's transparency report."""

from __future__ import annotations

import functools

from aiohttp import web

from .. import service
from ..auth import require, require_site
from ..config import SETTINGS
from ..db import POOL
from ..directory import SITES
from ..domain import ReportCategory, ReportStatus, Role, Site
from ..logs import REQUEST_ID
from ..ratelimit.refusals import REFUSALS
from ..schemas import ReportInput, parse_report, parse_resolution, read_payload
from ..service.transparency import Period
from ..threadcache import THREADS
from ..views import json_response, report_case_view, report_receipt_view
from .parsing import client_of, comment_id_of, enum_query, page_query, period_query

routes = web.RouteTableDef()

REPORTS_PATH = "/v1/comments/{comment_id}/reports"
# The site of the reported comment, for the CORS middleware (set only for a reportable one).
REPORTED_SITE = web.RequestKey("moderation.reported_site", Site)


async def _reported_site(request: web.Request) -> Site:
    """The site of an approved comment; anything else is a 404 like a missing comment."""
    slug = await service.reports.reportable_site(request.app[POOL], comment_id_of(request))
    site = await request.app[SITES].get(slug)
    request[REPORTED_SITE] = site
    return site


async def _read_report(request: web.Request) -> ReportInput:
    return parse_report(await read_payload(request, allow_form=True))


@routes.post(REPORTS_PATH)
async def post_report(request: web.Request) -> web.Response:
    site = await _reported_site(request)
    filed = await service.reports.file_report(
        request.app[POOL],
        request.app[SETTINGS],
        site,
        comment_id_of(request),
        functools.partial(_read_report, request),
        refusals=request.app[REFUSALS],
        threads=request.app[THREADS],
        client_ip=client_of(request),
        request_id=request[REQUEST_ID],
    )
    return json_response(report_receipt_view(filed.report, filed.status), status=202)


@routes.route("OPTIONS", REPORTS_PATH)
async def report_preflight(request: web.Request) -> web.Response:
    await _reported_site(request)
    return web.Response(status=204)


@routes.get("/v1/sites/{site}/reports")
async def list_reports(request: web.Request) -> web.Response:
    actor = await require_site(request)
    status = enum_query(request, "status", ReportStatus, ReportStatus.OPEN)
    category = enum_query(request, "category", ReportCategory, None)
    cursor, limit = page_query(request)
    page = await service.reports.reported_page(
        request.app[POOL], actor, status, category, cursor, limit
    )
    keys = request.app[SETTINGS].email_keys
    return json_response(
        {
            "items": [
                report_case_view(r.case, r.comment, r.reports, actor.site_slug, keys)
                for r in page.items
            ],
            "next_cursor": page.next_cursor,
        },
        headers={"Cache-Control": "no-store"},
    )


@routes.post("/v1/comments/{comment_id}/reports/resolve")
async def resolve_reports(request: web.Request) -> web.Response:
    actor = await require(request)
    comment_id = comment_id_of(request)
    resolution = parse_resolution(await read_payload(request))
    site = await request.app[SITES].get(actor.site_slug)
    resolved = await service.reports.resolve(
        request.app[POOL],
        request.app[SETTINGS],
        site,
        actor,
        comment_id,
        resolution,
        threads=request.app[THREADS],
        request_id=request[REQUEST_ID],
    )
    return json_response(
        report_case_view(
            resolved.case, resolved.comment, [], actor.site_slug, request.app[SETTINGS].email_keys
        )
        | {"items": None},
        headers={"Cache-Control": "no-store"},
    )


@routes.get("/v1/sites/{site}/transparency")
async def transparency(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    start, end = period_query(request)
    report = await service.transparency.report(request.app[POOL], actor, Period(start, end))
    return json_response(
        {"site": actor.site_slug, "from": start.isoformat(), "to": end.isoformat(), **report},
        headers={"Cache-Control": "no-store"},
    )


@routes.get("/v1/sites/{site}/statements")
async def statements(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    start, end = period_query(request)
    cursor, limit = page_query(request)
    page = await service.transparency.statements_page(
        request.app[POOL], actor, Period(start, end), cursor, limit
    )
    return json_response(
        {"items": page.items, "next_cursor": page.next_cursor},
        headers={"Cache-Control": "no-store"},
    )
