"""Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import asyncio
import hmac
from importlib import resources

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..config import SETTINGS
from ..db import POOL
from ..errors import DATABASE_UNAVAILABLE, Forbidden, ServiceUnavailable, Unauthorized
from ..identity import client_address
from ..metrics import METRICS
from ..store import comments, mail, webhooks

routes = web.RouteTableDef()
READY_TIMEOUT = 2.0
# Pending comments are counted up to here: an index scan with a bound, never the whole table.
PENDING_CAP = 10_000


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(READY_TIMEOUT), request.app[POOL].acquire() as conn:
            await conn.fetchval("SELECT 1")
    except DATABASE_UNAVAILABLE:
        raise ServiceUnavailable("the database is unreachable") from None
    return web.json_response({"status": "ready"})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Scraped every few seconds, so each scrape costs the same whatever the tables hold: no
    per-site GROUP BY, only index lookups with a bound."""
    check_scraper(request)
    registry = request.app[METRICS]
    try:
        async with asyncio.timeout(READY_TIMEOUT), request.app[POOL].acquire() as conn:
            registry.pending.set(await comments.pending_count(conn, PENDING_CAP))
            registry.webhook_oldest_due.set(await webhooks.oldest_due_age(conn))
            registry.mail_queued.set(await mail.queued_count(conn, PENDING_CAP))
    except DATABASE_UNAVAILABLE:
        pass  # the rest of the metrics are still worth scraping
    return web.Response(
        body=generate_latest(registry.registry),
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )


def check_scraper(request: web.Request) -> None:
    """With MODERATION_METRICS_TOKEN set, the scraper sends it as a bearer token (401 without
    one, 403 with another). Unset, only a loopback client gets the metrics, and only directly:
    a request a proxy relayed (it carries Forwarded or X-Forwarded-For) may come from anyone."""
    token = request.app[SETTINGS].metrics_token
    if token is None:
        peer = client_address(request.remote, None, ())
        relayed = "Forwarded" in request.headers or "X-Forwarded-For" in request.headers
        if peer is None or not peer.is_loopback or relayed:
            raise Forbidden("metrics are served to loopback clients only (no token is set)")
        return
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Unauthorized("a bearer token is required")
    if not hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode("utf-8", "replace")
    ):
        raise Forbidden("that token does not open the metrics")


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    document = resources.files("moderation").joinpath("openapi.json").read_bytes()
    return web.Response(body=document, content_type="application/json")
