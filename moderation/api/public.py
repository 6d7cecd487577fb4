"""Public endpoints for article pages: post a comment, read a thread's approved comments."""

from __future__ import annotations

import functools
import re

import structlog
from aiohttp import web
from yarl import URL

from .. import service, stages
from ..authors.mails import Outbound
from ..config import SETTINGS
from ..db import POOL
from ..directory import SITES
from ..domain import Site
from ..errors import Handler, NotFound, problem_answer
from ..logs import REQUEST_ID
from ..metrics import METRICS
from ..pagination import Cursor
from ..ratelimit.refusals import REFUSALS
from ..replica import READS
from ..threadcache import THREADS
from ..views import conditional_response, json_bytes, json_response, public_view, receipt_view
from . import formpost, reports
from .parsing import client_of, page_from, thread_from

log = structlog.get_logger("moderation.public")
routes = web.RouteTableDef()

COMMENTS_PATH = "/v1/sites/{site}/comments"
_CORS_RAW_PATHS = re.compile(r"/v1/sites/[^/]+/comments|/v1/comments/[^/]+/reports")
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Content-Type, X-Request-ID"
# Short enough that an approval shows within seconds, long enough for a CDN to absorb a rush.
THREAD_CACHE_CONTROL = "public, max-age=5, stale-while-revalidate=30"


@routes.post(COMMENTS_PATH)
async def post_comment(request: web.Request) -> web.Response:
    directory = request.app[SITES]
    site = await directory.get(request.match_info["site"])
    client_ip, refusals = client_of(request), request.app[REFUSALS]
    # A flood's knocks cost the least here: before anything is built for the submission, and
    # answered, not raised through the layers.
    refused = service.comments.known_refusal(refusals, site, client_ip)
    if refused is not None:
        return problem_answer(refused)
    submitted = await service.comments.submit_comment(
        request.app[POOL],
        site,
        functools.partial(formpost.read_submission, request, site),
        rules=directory.rules_for(site),
        refusals=refusals,
        threads=request.app[THREADS],
        secret_key=request.app[SETTINGS].secret_key,
        client_ip=client_ip,
        request_id=request[REQUEST_ID],
        outbound=Outbound(request.app[SETTINGS], site),
        email_keys=request.app[SETTINGS].email_keys,
        clock=stages.clock_of(request.app),
    )
    comment = submitted.comment
    request.app[METRICS].comment_received(site.slug, comment)
    if submitted.submission.return_to is not None:  # a plain HTML form, without JavaScript
        return formpost.back_to_article(submitted.submission.return_to, comment)
    return json_response(receipt_view(comment, site.slug), status=202)


@routes.get(COMMENTS_PATH)
async def list_thread(request: web.Request) -> web.Response:
    site = await request.app[SITES].get(request.match_info["site"])
    thread, raw_cursor, cursor, limit = _thread_request(request.query_string)

    async def build() -> bytes:
        page = await service.comments.thread_page(request.app[READS], site, thread, cursor, limit)
        items = [public_view(c, site.slug) for c in page.items]
        return json_bytes({"items": items, "next_cursor": page.next_cursor})

    cached = await request.app[THREADS].get_or_build(site.id, thread, raw_cursor, limit, build)
    return conditional_response(
        request, cached.etag, cached.body, cache_control=THREAD_CACHE_CONTROL
    )


@functools.lru_cache(maxsize=4096)
def _thread_request(query_string: str) -> tuple[str, str | None, Cursor | None, int]:
    """The thread, cursor and limit a query asks for. Pure, so remembered: the same few hot
    threads are asked for thousands of times a second (a bad query raises, and isn't kept)."""
    query = URL.build(query_string=query_string).query
    thread = thread_from(query, required=True)
    assert thread is not None
    cursor, limit = page_from(query)
    return thread, query.get("cursor") or None, cursor, limit


@routes.route("OPTIONS", COMMENTS_PATH)
async def preflight(request: web.Request) -> web.Response:
    # The CORS headers themselves are added by `cors` for allowed origins only; a browser
    # that gets none of them refuses the cross-origin request.
    await request.app[SITES].get(request.match_info["site"])
    return web.Response(status=204)


@web.middleware
async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    origin = request.headers.get("Origin")
    resource = request.match_info.route.resource
    if origin is None or resource is None:
        return response
    site: Site | None = None
    if resource.canonical == COMMENTS_PATH:
        try:
            site = await request.app[SITES].get(request.match_info["site"])
        except NotFound:
            return response
        except Exception as exc:
            # The lookup can fail only where the handler's own did not (the site was deleted
            # meanwhile, the database went away): the answer stands, the browser withholds it.
            log.warning("cors_site_lookup_failed", error=type(exc).__name__)
            return response
    elif resource.canonical == reports.REPORTS_PATH:
        # Known only once the handler found the comment approved: a missing or unapproved one
        # answers exactly alike, headers included.
        site = request.get(reports.REPORTED_SITE)
    if site is not None and origin in site.origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Expose-Headers"] = "X-Request-ID, Retry-After, ETag"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


async def vary_on_origin(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer of a CORS-able route varies by Origin, with or without one in the request,
    304s and problems included: else a shared cache may hand a site's widget a copy stored for
    a request without Origin, which carries no Access-Control-Allow-Origin. An
    `on_response_prepare` signal, so no middleware order and no error path can skip it."""
    if _CORS_RAW_PATHS.fullmatch(request.rel_url.raw_path) is None:
        return  # matched by path, not route: a 405 on this path is cacheable too
    vary = response.headers.getall("Vary", ())
    if not vary:  # the common case, and every 429 of a flood
        response.headers["Vary"] = "Origin"
        return
    listed = {v.strip().lower() for h in vary for v in h.split(",")}
    if "origin" not in listed:
        response.headers.add("Vary", "Origin")
