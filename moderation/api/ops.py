"""Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import hmac
from importlib import resources

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..config import SETTINGS
from ..db import POOL
from ..errors import Forbidden, Unauthorized
from ..identity import client_address
from ..metrics import METRICS
from ..service import ops

routes = web.RouteTableDef()


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    await ops.check_ready(request.app[POOL])
    return web.json_response({"status": "ready"})


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Scraped every few seconds, so each scrape costs the same whatever the tables hold: no
    per-site GROUP BY, only index lookups with a bound."""
    check_scraper(request)
    registry = request.app[METRICS]
    measured = await ops.gauges(request.app[POOL])
    if measured is not None:  # else the rest of the metrics are still worth scraping
        registry.pending.set(measured.pending_comments)
        registry.webhook_oldest_due.set(measured.webhook_oldest_due)
        registry.mail_queued.set(measured.mails_queued)
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
