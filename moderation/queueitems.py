"""Queue items' views, kept per process by row version: moderators read the same queue again
and again (the console polls it, several moderators share it), and writing a comment's view
as JSON costs the database ~25 µs a row, most of a page's time there.

A view is kept under its row's id and version (xmin): any change to the row (a decision, an
erasure, a flag) writes a new version, so a changed row is never answered from here; what is
per request stays out (the address, opened per request; the author's record, counted per
request). Views leave after LIFETIME_SECONDS whatever happens, and the whole stays under
MAX_BYTES, oldest first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import web

from .domain import QueueItem, QueueRow
from .store import Connection, comments

LIFETIME_SECONDS = 60.0
MAX_BYTES = 32 * 1024 * 1024

Version = tuple[int, int]  # the comment's id, its row's xmin


class ItemViews:
    def __init__(
        self,
        lifetime: float = LIFETIME_SECONDS,
        max_bytes: int = MAX_BYTES,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lifetime = lifetime
        self._max_bytes = max_bytes
        self._clock = clock
        # In the order they were written: the first is always the oldest.
        self._views: OrderedDict[Version, tuple[bytes, float]] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._views)

    def get(self, comment_id: int, version: int) -> bytes | None:
        self._expire()
        return self._kept(comment_id, version)

    def _kept(self, comment_id: int, version: int) -> bytes | None:
        held = self._views.get((comment_id, version))
        return None if held is None else held[0]

    def put(self, comment_id: int, version: int, view: bytes) -> None:
        self._expire()
        key = (comment_id, version)
        old = self._views.pop(key, None)
        if old is not None:
            self.bytes -= len(old[0])
        if len(view) > self._max_bytes:
            return
        self._views[key] = (view, self._clock() + self._lifetime)
        self.bytes += len(view)
        while self.bytes > self._max_bytes:
            self._drop_oldest()

    def _expire(self) -> None:
        now = self._clock()
        while self._views and next(iter(self._views.values()))[1] < now:
            self._drop_oldest()

    def _drop_oldest(self) -> None:
        _, (view, _) = self._views.popitem(last=False)
        self.bytes -= len(view)

    async def views(self, conn: Connection, site_id: int, rows: list[QueueRow]) -> list[QueueItem]:
        """Each row with its view, the ones not kept written by the database now; a row that
        went meanwhile (purged, erased) is left out."""
        self._expire()  # once for the page, not per row
        found = {row.id: view for row in rows if (view := self._kept(row.id, row.version))}
        missing = [row.id for row in rows if row.id not in found]
        if missing:
            for comment_id, version, view in await comments.item_views(conn, site_id, missing):
                self.put(comment_id, version, view)
                found[comment_id] = view  # a version newer than the row's: the newest is right
        return [(row, found[row.id]) for row in rows if row.id in found]


QUEUE_ITEMS = web.AppKey("moderation.queue_items", ItemViews)
