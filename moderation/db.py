"""The connection pool: opened in cleanup_ctx, with codecs set on every new connection."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web
from asyncpg.pool import PoolConnectionProxy

from . import jsontext
from .config import SETTINGS, Settings

POOL = web.AppKey("moderation.pool", asyncpg.Pool)
# Public thread reads: a pool on the read replica, or POOL itself when there is none.
READ_POOL = web.AppKey("moderation.read_pool", asyncpg.Pool)


async def init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb",
        encoder=jsontext.dumps,
        decoder=jsontext.loads,
        schema="pg_catalog",
    )


def create_pool(
    settings: Settings, *, min_size: int | None = None, url: str | None = None
) -> asyncpg.Pool:
    url = url or settings.database_url
    assert url, "the database URL is resolved before the pool opens"
    return asyncpg.create_pool(
        url,
        min_size=settings.pool_min_size if min_size is None else min_size,
        max_size=settings.pool_max_size,
        init=init_connection,
        command_timeout=30,
        statement_cache_size=settings.statement_cache_size,
        # No server-side state is left on connections (no session GUCs, no LISTEN on pooled
        # ones, no prepared statements by name), so the default per-release RESET ALL is waste.
        reset=_no_reset,
    )


async def _no_reset(conn: asyncpg.Connection) -> None:
    return None


async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with create_pool(settings) as pool:
        app[POOL] = pool
        if settings.read_database_url is None:
            app[READ_POOL] = pool
            yield
            return
        # min_size 0: the service starts, and reads fall back to the primary, without it.
        async with create_pool(settings, min_size=0, url=settings.read_database_url) as replica:
            app[READ_POOL] = replica
            yield


@contextlib.asynccontextmanager
async def sturdy_connection(pool: asyncpg.Pool) -> AsyncIterator[PoolConnectionProxy]:
    """A pool connection for the background workers, closed instead of reused when it fails
    other than by a server error: the pool's per-release reset is off (`_no_reset`), so a
    connection left mid-protocol by an outage would otherwise go back to the pool."""
    async with pool.acquire() as conn:
        try:
            yield conn
        except asyncpg.PostgresError:
            raise
        except BaseException:
            conn.terminate()
            raise
