"""Rendered thread pages, cached per process: every article view reads its thread, and the
answer only changes when a comment of that thread is approved or taken down.

A change is announced with NOTIFY in the transaction that makes it, so every instance drops
its copy as soon as the change commits; the instance that made it drops its copy at once.
Nothing is kept while the listener is disconnected (a notification could be missed then), and
the lifetime is a last bound on staleness, not the way changes show.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from .notifications import LISTENER, subscribed
from .store.comments import THREAD_CHANNEL

LIFETIME_SECONDS = 30.0
MAX_ENTRIES = 20_000
# A page read once waits in probation; read again, it is protected. A stream of keys read once
# (distinct threads, cursors, nonexistent threads) only ever churns probation.
PROBATION_SHARE = 0.2
# Only these page sizes are kept (the default, the widget's 200 and a few round ones): any
# other limit is answered uncached, so limits cannot multiply the keys of one thread.
CACHED_LIMITS = frozenset({10, 20, 25, 50, 100, 200})

PageKey = tuple[int, str, str | None, int]  # site_id, thread, cursor, limit


@dataclass(frozen=True, slots=True)
class Page:
    etag: str
    body: bytes
    expires: float


class ThreadCache:
    """A segmented LRU of pages: scan-resistant, so no stream of distinct reads evicts the pages
    that are read again and again."""

    def __init__(
        self,
        lifetime: float = LIFETIME_SECONDS,
        capacity: int = MAX_ENTRIES,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._probation_cap = max(1, int(capacity * PROBATION_SHARE))
        self._protected_cap = max(1, capacity - self._probation_cap)
        self._probation: OrderedDict[PageKey, Page] = OrderedDict()
        self._protected: OrderedDict[PageKey, Page] = OrderedDict()
        # (site_id, thread) → its cached page keys, so one change drops every page of a thread.
        self._threads: dict[tuple[int, str], set[PageKey]] = {}
        self._building: dict[PageKey, asyncio.Future[Page]] = {}
        # Bumped by every change of a thread: a page built from an older read isn't kept.
        self._changes: dict[tuple[int, str], int] = {}
        self._forgotten_changes = 0  # how often _changes was emptied to bound its size
        self.listening = False
        # Told of each thread that changed, and (None) when the cache forgets what it held.
        self.on_change: Callable[[tuple[int, str] | None], None] = lambda _: None

    def __len__(self) -> int:
        return len(self._probation) + len(self._protected)

    def get(self, site_id: int, thread: str, cursor: str | None, limit: int) -> Page | None:
        key = (site_id, thread, cursor, limit)
        page = self._protected.get(key)
        if page is not None:
            self._protected.move_to_end(key)
        else:
            page = self._probation.pop(key, None)
            if page is None:
                return None
            self._protect(key, page)  # read a second time: worth keeping
        if page.expires < self._clock():
            return None
        return page

    def put(
        self, site_id: int, thread: str, cursor: str | None, limit: int, etag: str, body: bytes
    ) -> Page:
        page = Page(etag, body, self._clock() + self._lifetime)
        if not self.listening or limit not in CACHED_LIMITS:
            return page  # changes can't be heard, or a page size nobody else asks for
        key = (site_id, thread, cursor, limit)
        if key in self._protected:
            self._protected[key] = page
            self._protected.move_to_end(key)
            return page
        self._probation[key] = page
        self._probation.move_to_end(key)
        self._threads.setdefault(key[:2], set()).add(key)
        while len(self._probation) > self._probation_cap:
            self._forget(*self._probation.popitem(last=False))
        return page

    def _protect(self, key: PageKey, page: Page) -> None:
        self._protected[key] = page
        while len(self._protected) > self._protected_cap:
            # The least recently read protected page gets one more chance in probation.
            old_key, old_page = self._protected.popitem(last=False)
            self._probation[old_key] = old_page
            while len(self._probation) > self._probation_cap:
                self._forget(*self._probation.popitem(last=False))

    def _forget(self, key: PageKey, _page: Page | None = None) -> None:
        keys = self._threads.get(key[:2])
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._threads[key[:2]]

    async def get_or_build(
        self,
        site_id: int,
        thread: str,
        cursor: str | None,
        limit: int,
        build: Callable[[], Awaitable[bytes]],
    ) -> Page:
        """The cached page, or one build of it shared by every request that asks meanwhile: a
        hot thread whose page just changed must not send a crowd of readers to the database."""
        if limit not in CACHED_LIMITS:
            body = await build()
            return Page(_etag(body), body, 0.0)
        page = self.get(site_id, thread, cursor, limit)
        if page is not None:
            return page
        key = (site_id, thread, cursor, limit)
        building = self._building.get(key)
        if building is not None:
            return await asyncio.shield(building)
        future: asyncio.Future[Page] = asyncio.get_running_loop().create_future()
        self._building[key] = future
        changes = (self._forgotten_changes, self._changes.get((site_id, thread), 0))
        try:
            body = await build()
            if (self._forgotten_changes, self._changes.get((site_id, thread), 0)) == changes:
                page = self.put(site_id, thread, cursor, limit, _etag(body), body)
            else:  # the thread changed while this was read: answer, but don't keep
                page = Page(_etag(body), body, 0.0)
            future.set_result(page)
            return page
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so waiters-or-not never warn
            raise
        finally:
            if self._building.get(key) is future:
                del self._building[key]

    def invalidate(self, site_id: int, thread: str) -> None:
        self.on_change((site_id, thread))
        self._changes[(site_id, thread)] = self._changes.get((site_id, thread), 0) + 1
        if len(self._changes) > MAX_ENTRIES:
            self._changes.clear()
            self._forgotten_changes += 1  # so builds under way can still tell
        # Readers arriving now must not join a build that read the thread before the change.
        for key in [k for k in self._building if k[:2] == (site_id, thread)]:
            del self._building[key]
        for key in self._threads.pop((site_id, thread), ()):
            self._probation.pop(key, None)
            self._protected.pop(key, None)

    def clear(self) -> None:
        self._probation.clear()
        self._protected.clear()
        self.on_change(None)
        self._threads.clear()

    # The thread channel's subscriber (notifications.Listener).
    def notified(self, payload: str) -> None:
        site_id, _, thread = payload.partition(":")
        if site_id.isdigit():
            self.invalidate(int(site_id), thread)

    def connected(self) -> None:
        # Changes made while nobody listened are unknown: start afresh.
        self.clear()
        self.listening = True

    def disconnected(self) -> None:
        self.listening = False
        self.clear()


def _etag(body: bytes) -> str:
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


THREADS = web.AppKey("moderation.threads", ThreadCache)


async def thread_cache_ctx(app: web.Application) -> AsyncIterator[None]:
    cache = ThreadCache()
    app[THREADS] = cache
    async with subscribed(app[LISTENER], None, THREAD_CHANNEL, cache):
        yield
