"""Flood and hourly limits per client network and per author, kept in PostgreSQL so they hold
across every instance of the service."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import time
from collections.abc import AsyncIterator

import asyncpg
import structlog
from aiohttp import web

from .db import POOL
from .domain import SiteSettings
from .errors import DATABASE_UNAVAILABLE, TooManyRequests
from .identity import IPAddress
from .store import Connection
from .store.ratelimits import Bucket, sweep, take

log = structlog.get_logger("moderation.ratelimit")
HOUR = 3600.0


@functools.lru_cache(maxsize=65_536)
def network_key(address: IPAddress) -> str:
    """IPv4 per address; IPv6 per /64, which is what one subscriber usually gets."""
    if address.version == 6:
        mapped = address.ipv4_mapped
        if mapped is not None:
            return f"ip:{mapped}"
        return f"ip:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"ip:{address}"


def buckets_for(key: str, settings: SiteSettings) -> list[Bucket]:
    buckets = []
    if settings.flood_seconds > 0:
        buckets.append(Bucket(f"{key}:flood", float(settings.flood_seconds), 0.0))
    if settings.hourly_limit > 0:
        interval = HOUR / settings.hourly_limit
        buckets.append(Bucket(f"{key}:hour", interval, interval * (settings.hourly_limit - 1)))
    return buckets


async def enforce(conn: Connection, site_id: int, key: str, settings: SiteSettings) -> bool:
    """Raise TooManyRequests (429 with Retry-After) when `key` is over a limit of the site.
    Returns whether any limit applies (in a transaction, its rows stay locked until commit)."""
    buckets = buckets_for(key, settings)
    if not buckets:
        return False
    wait = await take(conn, site_id, buckets)
    if wait is not None:
        raise TooManyRequests(wait)
    return True


class Refusals:
    """Refusals remembered in this process until they expire, so a client that keeps knocking
    is answered without a query. Exact, not an approximation: the time a key becomes free again
    only moves later (every instance's accepted request pushes it on), so no request refused
    here could have been allowed by the database."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._until: dict[tuple[int, str], float] = {}

    def check(self, site_id: int, key: str) -> None:
        until = self._until.get((site_id, key))
        if until is None:
            return
        wait = until - time.monotonic()
        if wait > 0:
            raise TooManyRequests(wait)
        del self._until[(site_id, key)]

    def remember(self, site_id: int, key: str, wait: float) -> None:
        if len(self._until) >= self.MAX_KEYS:
            now = time.monotonic()
            self._until = {k: t for k, t in self._until.items() if t > now}
            if len(self._until) >= self.MAX_KEYS:
                self._until.clear()
        self._until[(site_id, key)] = time.monotonic() + wait

    def forget_site(self, site_id: int) -> None:
        """Limits of the site changed: what was refused under the old ones may pass now."""
        self._until = {k: t for k, t in self._until.items() if k[0] != site_id}


REFUSALS = web.AppKey("moderation.refusals", Refusals)


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
