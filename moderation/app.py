"""The app factory: middlewares, resources in start-up order, and the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from . import (
    db,
    deadlines,
    errors,
    logs,
    metrics,
    notifications,
    replica,
    retention,
    stages,
    threadcache,
)
from .api import console, mailbox, public, routes
from .config import SETTINGS, Settings
from .directory import SITES, SiteDirectory
from .mail import sender
from .ratelimit import refusals, sweeper
from .schemas import MAX_BODY_BYTES
from .webhooks import dispatcher


async def _directory_ctx(app: web.Application) -> AsyncIterator[None]:
    app[SITES] = SiteDirectory(app[db.POOL])
    yield


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[
            metrics.measure,
            logs.request_context,
            # Whatever escapes the layers below (CORS looks the site up) is still a problem+json.
            errors.problem_middleware,
            # Outside the handler's error rendering, so error answers get CORS headers too.
            public.cors,
            errors.problem_middleware,
            deadlines.read_body_in_time,
        ],
        client_max_size=MAX_BODY_BYTES,  # larger bodies → 413, rendered as a problem
    )
    app[SETTINGS] = settings
    app[metrics.METRICS] = metrics.Metrics.create()
    app[refusals.REFUSALS] = refusals.Refusals()
    app.cleanup_ctx.extend(
        [
            db.pool_ctx,
            _directory_ctx,
            notifications.listener_ctx,
            threadcache.thread_cache_ctx,
            replica.reads_ctx,
            sweeper.sweeper_ctx,
            retention.sweeper_ctx,
            dispatcher.dispatcher_ctx,
            sender.sender_ctx,
        ]
    )
    app.add_routes(routes)
    app.on_response_prepare.append(public.vary_on_origin)
    if settings.stage_timing:
        stages.enable(app)
    if settings.development:
        app.add_routes(console.demo_routes)
        app.add_routes(mailbox.routes)
    return app
