"""The sweeper: a cleanup context whose task deletes limit rows whose time has passed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import structlog
from aiohttp import web

from ..db import POOL
from ..errors import DATABASE_UNAVAILABLE
from ..store.ratelimits import sweep

log = structlog.get_logger("moderation.ratelimit")

SWEEP_EVERY_SECONDS = 60.0


async def sweep_forever(pool: asyncpg.Pool, every: float = SWEEP_EVERY_SECONDS) -> None:
    """Delete rows whose time has passed: an expired row limits nobody."""
    while True:
        await asyncio.sleep(every)
        try:
            async with pool.acquire() as conn:
                swept = await sweep(conn)
            if swept:
                log.info("rate_limits_swept", rows=swept)
        except DATABASE_UNAVAILABLE as exc:
            log.warning("rate_limit_sweep_failed", error=type(exc).__name__)


async def sweeper_ctx(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(sweep_forever(app[POOL]), name="rate-limit-sweeper")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
