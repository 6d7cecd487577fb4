"""Refusals remembered in this process, so a client that keeps knocking costs no query."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from ..errors import TooManyRequests


class Refusals:
    """Refusals remembered in this process until they expire, so a client that keeps knocking
    is answered without a query. Exact, not an approximation: the time a key becomes free again
    only moves later (every instance's accepted request pushes it on), so no request refused
    here could have been allowed by the database."""

    MAX_KEYS = 100_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._until: dict[tuple[int, str], float] = {}
        self.clock = clock

    def check(self, site_id: int, key: str) -> None:
        wait = self.wait(site_id, key)
        if wait is not None:
            raise TooManyRequests(wait)

    def wait(self, site_id: int, key: str) -> float | None:
        """Seconds until an earlier refusal of `key` ends; None when none holds."""
        until = self._until.get((site_id, key))
        if until is None:
            return None
        wait = until - self.clock()
        if wait > 0:
            return wait
        del self._until[(site_id, key)]
        return None

    def remember(self, site_id: int, key: str, wait: float) -> None:
        if len(self._until) >= self.MAX_KEYS:
            now = self.clock()
            self._until = {k: t for k, t in self._until.items() if t > now}
            if len(self._until) >= self.MAX_KEYS:
                self._until.clear()
        self._until[(site_id, key)] = self.clock() + wait

    def forget_site(self, site_id: int) -> None:
        """Limits of the site changed: what was refused under the old ones may pass now."""
        self._until = {k: t for k, t in self._until.items() if k[0] != site_id}


REFUSALS = web.AppKey("moderation.refusals", Refusals)
