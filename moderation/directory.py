"""Sites by slug, cached briefly in each process: every public request names its site."""

from __future__ import annotations

import time

import asyncpg
from aiohttp import web

from .domain import Site
from .errors import NotFound
from .store import sites

# A site created or changed by the CLI is seen by every instance within this many seconds.
TTL_SECONDS = 2.0


class SiteDirectory:
    def __init__(self, pool: asyncpg.Pool, ttl: float = TTL_SECONDS) -> None:
        self._pool = pool
        self._ttl = ttl
        self._cache: dict[str, tuple[float, Site]] = {}

    async def get(self, slug: str) -> Site:
        now = time.monotonic()
        cached = self._cache.get(slug)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._pool.acquire() as conn:
            site = await sites.site_by_slug(conn, slug)
        if site is None:
            self._cache.pop(slug, None)
            raise NotFound("no such site")
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[slug] = (now + self._ttl, site)
        return site


SITES = web.AppKey("moderation.sites", SiteDirectory)
