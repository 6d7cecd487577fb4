"""The app factory: middlewares, resources in start-up order, and the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from . import db, errors, logs, metrics, ratelimit, replica, threadcache
from .api import console, public, routes
from .config import SETTINGS, Settings
from .directory import SITES, SiteDirectory
from .schemas import MAX_BODY_BYTES
from .webhooks import dispatcher


async def _directory_ctx(app: web.Application) -> AsyncIterator[None]:
    app[SITES] = SiteDirectory(app[db.POOL])
    yield


def create_app(settings: Settings) -> web.Application:
    app = web.Application(
        middlewares=[metrics.measure, logs.request_context, public.cors, errors.problem_middleware],
        client_max_size=MAX_BODY_BYTES,  # larger bodies → 413, rendered as a problem
    )
    app[SETTINGS] = settings
    app[metrics.METRICS] = metrics.Metrics.create()
    app[ratelimit.REFUSALS] = ratelimit.Refusals()
    app.cleanup_ctx.extend(
        [
            db.pool_ctx,
            _directory_ctx,
            threadcache.thread_cache_ctx,
            replica.reads_ctx,
            ratelimit.sweeper_ctx,
            dispatcher.dispatcher_ctx,
        ]
    )
    app.add_routes(routes)
    if settings.development:
        app.add_routes(console.demo_routes)
    return app
