"""The connection pool: opened in cleanup_ctx, with codecs set on every new connection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import asyncpg
from aiohttp import web
from asyncpg.pool import PoolAcquireContext, PoolConnectionProxy

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
    return FairPool(
        url,
        min_size=settings.pool_min_size if min_size is None else min_size,
        max_size=settings.pool_max_size,
        # asyncpg.create_pool's defaults
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        init=init_connection,
        command_timeout=30,
        statement_cache_size=settings.statement_cache_size,
        # No server-side state is left on connections (no session GUCs, no LISTEN on pooled
        # ones, no prepared statements by name), so the default per-release RESET ALL is waste.
        reset=_no_reset,
    )


# asyncpg's classes are generic in its type hints only.
if TYPE_CHECKING:
    _Pool = asyncpg.Pool[asyncpg.Record]
    _AcquireContext = PoolAcquireContext[asyncpg.Record]
else:
    _Pool, _AcquireContext = asyncpg.Pool, PoolAcquireContext


class FairPool(_Pool):
    """asyncpg's pool, its waiters served in the order they came. Its own queue lets a task
    that asks just as a connection comes back take it before the waiter woken for it, which
    then queues again at the back: at full load some requests waited seconds (the queue page:
    p50 20 ms, p99 1.5 s). A semaphore in front, first come first served (Python 3.11's hands
    each freed place to the longest waiter), makes every wait as long as the line ahead."""

    def __init__(self, *connect_args: Any, max_size: int, **options: Any) -> None:
        super().__init__(*connect_args, max_size=max_size, **options)
        self._turns = asyncio.Semaphore(max_size)

    def acquire(self, *, timeout: float | None = None) -> InTurn:
        return InTurn(self, timeout, self._turns)


class InTurn(_AcquireContext):
    """`async with pool.acquire()`: a place in line first, then the connection."""

    __slots__ = ("turns",)

    def __init__(self, pool: FairPool, timeout: float | None, turns: asyncio.Semaphore) -> None:
        super().__init__(pool, timeout)
        self.turns = turns

    async def __aenter__(self) -> PoolConnectionProxy[asyncpg.Record]:
        await self.turns.acquire()
        try:
            return await super().__aenter__()
        except BaseException:
            self.turns.release()
            raise

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await super().__aexit__(*exc_info)
        finally:
            self.turns.release()

    def __await__(self) -> Any:
        raise TypeError("a FairPool's connection is taken with `async with pool.acquire()`")


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
