"""Public thread reads on a streaming replica, without its lag ever showing.

A thread whose approved comments changed is read from the primary until the replica has
replayed the change: its mark holds the primary's WAL insert position, taken after the change
committed (a thread's changes are only heard of once committed), and reads go back to the
replica once `pg_last_wal_replay_lsn()` has passed it. While changes can't be heard (the thread
listener is down), every read goes to the primary. So a take-down never reappears and a page is
never staler on a replica than it would be on the primary, however far the replica lags.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import structlog
from aiohttp import web
from asyncpg.pool import PoolConnectionProxy

from .db import POOL, READ_POOL
from .errors import DATABASE_UNAVAILABLE
from .store import Connection
from .threadcache import MAX_ENTRIES, THREADS, ThreadCache

log = structlog.get_logger("moderation.replica")

# After the replica fails to answer, reads go to the primary for this long before it is tried.
REPLICA_RETRY_SECONDS = 5.0


@dataclass(slots=True)
class _Mark:
    # The primary's WAL insert position after the change; None until a read looks it up.
    lsn: int | None = None


def lsn_value(text: str) -> int:
    """'16/B374D848' → a number that orders like the WAL position."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


class Reads:
    def __init__(
        self, primary: asyncpg.Pool, replica: asyncpg.Pool | None, cache: ThreadCache
    ) -> None:
        self._primary = primary
        self._replica = replica
        self._cache = cache
        self._behind: dict[tuple[int, str], _Mark] = {}
        # Set when what changed is unknown (the cache was emptied): every thread is behind it.
        self._all_behind: _Mark | None = None
        self._replica_down_until = 0.0
        self.replica_reads = 0
        self.primary_reads = 0
        cache.on_change = self.changed

    def changed(self, thread: tuple[int, str] | None) -> None:
        if self._replica is None:
            return
        if thread is None or len(self._behind) >= MAX_ENTRIES:
            self._behind.clear()
            self._all_behind = _Mark()
        else:
            self._behind[thread] = _Mark()

    @contextlib.asynccontextmanager
    async def connection(self, site_id: int, thread: str) -> AsyncIterator[Connection]:
        """A connection that sees every change to the thread that this instance has heard of."""
        async with contextlib.AsyncExitStack() as held:
            conn = await self._replica_connection(held, site_id, thread)
            if conn is None:
                self.primary_reads += 1
                conn = await held.enter_async_context(self._primary.acquire())
            else:
                self.replica_reads += 1
            yield conn

    async def _replica_connection(
        self, held: contextlib.AsyncExitStack, site_id: int, thread: str
    ) -> PoolConnectionProxy | None:
        """A replica connection (held until `held` closes) that has replayed every change heard
        of to the thread; None when the primary must answer (there is no replica, it is behind,
        or it does not answer)."""
        replica = self._replica
        if replica is None or time.monotonic() < self._replica_down_until:
            return None
        try:
            if not await self._caught_up(replica, (site_id, thread)):
                return None
            conn: PoolConnectionProxy = await held.enter_async_context(replica.acquire())
            return conn
        except DATABASE_UNAVAILABLE as exc:
            log.warning("replica_unavailable", error=type(exc).__name__)
            self._replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
            return None

    async def _caught_up(self, replica: asyncpg.Pool, key: tuple[int, str]) -> bool:
        if not self._cache.listening:
            return False  # a change could go unheard: only the primary is sure
        marks = [m for m in (self._behind.get(key), self._all_behind) if m is not None]
        if not marks:
            return True
        if any(m.lsn is None for m in marks):
            now = lsn_value(
                await self._primary.fetchval("SELECT pg_current_wal_insert_lsn()::text")
            )
            for mark in marks:
                mark.lsn = mark.lsn or now
        replayed = await replica.fetchval("SELECT pg_last_wal_replay_lsn()::text")
        # NULL: not in recovery, so the "replica" is a primary and sees everything.
        if replayed is not None and lsn_value(replayed) < max(m.lsn or 0 for m in marks):
            return False
        if self._behind.get(key) is marks[0]:
            del self._behind[key]
        if self._all_behind is marks[-1]:
            self._all_behind = None
        return True


READS = web.AppKey("moderation.reads", Reads)


async def reads_ctx(app: web.Application) -> AsyncIterator[None]:
    primary, replica = app[POOL], app[READ_POOL]
    app[READS] = Reads(primary, None if replica is primary else replica, app[THREADS])
    yield
