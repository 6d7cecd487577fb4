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
    queueitems,
    replica,
    retention,
    stages,
    threadcache,
    tokencache,
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
        # Four layers, each paid by every request (the 429 path is mostly these): the id, log
        # line and metrics; CORS, outside the error rendering so problems get its headers too
        # (it never raises); every error as a problem; the body read in bounded time.
        middlewares=[
            logs.request_context,
            public.cors,
            errors.problem_middleware,
            deadlines.read_body_in_time,
        ],
        client_max_size=MAX_BODY_BYTES,  # larger bodies → 413, rendered as a problem
    )
    app[SETTINGS] = settings
    app[metrics.METRICS] = metrics.Metrics.create()
    app[logs.OBSERVE_REQUEST] = app[metrics.METRICS].observe_request
    app[refusals.REFUSALS] = refusals.Refusals()
    app[queueitems.QUEUE_ITEMS] = queueitems.ItemViews()
    app.cleanup_ctx.extend(
        [
            db.pool_ctx,
            _directory_ctx,
            notifications.listener_ctx,
            threadcache.thread_cache_ctx,
            tokencache.token_cache_ctx,
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
