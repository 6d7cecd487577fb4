"""Sites by slug, cached briefly in each process: every public request names its site."""

from __future__ import annotations

import time
from collections.abc import Callable

import asyncpg
from aiohttp import web

from .domain import SLUG, Site, SiteSettings
from .errors import NotFound
from .store import sites
from .text.fold import Folder
from .text.rules import SiteRules

# A site created or changed by the CLI is seen by every instance within this many seconds.
TTL_SECONDS = 2.0


class SiteDirectory:
    def __init__(
        self,
        pool: asyncpg.Pool,
        ttl: float = TTL_SECONDS,
        *,
        folder: Folder | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pool = pool
        self._ttl = ttl
        self._clock = clock
        # What folding remembers, shared by every site's rules in this process.
        self.folder = folder or Folder()
        self._cache: dict[str, tuple[float, Site]] = {}
        self._rules: dict[int, tuple[SiteSettings, str, SiteRules]] = {}

    async def get(self, slug: str) -> Site:
        if not SLUG.fullmatch(slug):  # e.g. a NUL, which PostgreSQL text cannot even hold
            raise NotFound("no such site")
        now = self._clock()
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

    def forget(self, slug: str) -> None:
        self._cache.pop(slug, None)

    def rules_for(self, site: Site) -> SiteRules:
        """The site's word rules, built once per version of its settings (1,000 terms take a
        while to fold; a comment must not pay for that)."""
        cached = self._rules.get(site.id)
        if cached is not None and cached[0] is site.settings and cached[1] == site.name:
            return cached[2]
        if cached is not None and cached[0] == site.settings and cached[1] == site.name:
            # The site was read again with the same settings: keep the rules, and remember this
            # copy so the next requests compare by identity, not 1,000 terms by value.
            self._rules[site.id] = (site.settings, site.name, cached[2])
            return cached[2]
        rules = SiteRules(
            banned_terms=site.settings.banned_terms,
            suspect_terms=site.settings.suspect_terms,
            max_links=site.settings.max_links,
            reserved_names=(site.slug, site.name),
            folder=self.folder,
        )
        self._rules[site.id] = (site.settings, site.name, rules)
        return rules


SITES = web.AppKey("moderation.sites", SiteDirectory)
