"""Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import asyncio
from importlib import resources

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..db import POOL
from ..errors import DATABASE_UNAVAILABLE, ServiceUnavailable
from ..metrics import METRICS
from ..store import comments, mail, webhooks

routes = web.RouteTableDef()
READY_TIMEOUT = 2.0


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
    registry = request.app[METRICS]
    try:
        async with asyncio.timeout(READY_TIMEOUT), request.app[POOL].acquire() as conn:
            for slug, pending in await comments.pending_counts(conn):
                registry.pending.labels(slug).set(pending)
            registry.webhook_oldest_due.set(await webhooks.oldest_due_age(conn))
            registry.mail_queued.set(await mail.queued_count(conn))
    except DATABASE_UNAVAILABLE:
        pass  # the rest of the metrics are still worth scraping
    return web.Response(
        body=generate_latest(registry.registry),
        headers={"Content-Type": CONTENT_TYPE_LATEST},
    )


@routes.get("/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    document = resources.files("moderation").joinpath("openapi.json").read_bytes()
    return web.Response(body=document, content_type="application/json")
