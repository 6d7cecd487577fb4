"""moderation/threadcache.py: the lifetime of a cached page, on an injected clock."""

from __future__ import annotations

from moderation.threadcache import ThreadCache
from tests.support import Clock


def test_a_page_is_served_until_its_lifetime_is_over() -> None:
    clock = Clock()
    cache = ThreadCache(lifetime=30.0, clock=clock)
    cache.connected()  # as the listener says when it is up
    cache.put(1, "سياسة/2026", None, 50, '"v1"', b"page")
    clock.now += 29.9
    page = cache.get(1, "سياسة/2026", None, 50)
    assert page is not None and page.body == b"page"
    clock.now += 0.2
    assert cache.get(1, "سياسة/2026", None, 50) is None


def test_nothing_is_kept_while_the_listener_is_down() -> None:
    cache = ThreadCache(clock=Clock())
    cache.connected()
    cache.put(1, "t", None, 50, '"v1"', b"page")
    cache.disconnected()
    assert cache.get(1, "t", None, 50) is None
    cache.put(1, "t", None, 50, '"v2"', b"page")
    assert len(cache) == 0


def test_a_notification_drops_every_page_of_its_thread_only() -> None:
    cache = ThreadCache(clock=Clock())
    cache.connected()
    for limit in (10, 50):
        cache.put(1, "elections", None, limit, '"e"', b"e")
    cache.put(1, "sports", None, 50, '"s"', b"s")
    cache.notified("1:elections")
    assert cache.get(1, "elections", None, 10) is None
    assert cache.get(1, "elections", None, 50) is None
    assert cache.get(1, "sports", None, 50) is not None
    cache.notified("not a thread")  # ignored
    assert cache.get(1, "sports", None, 50) is not None
