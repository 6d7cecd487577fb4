"""moderation/tokencache.py: what is remembered, for how long, and what makes it forget."""

from __future__ import annotations

from moderation.domain import Actor, Role
from moderation.tokencache import TokenCache
from tests.support import Clock

SARA = Actor(site_id=1, site_slug="daily", role=Role.MODERATOR, token_id=7)
OMAR = Actor(site_id=2, site_slug="weekly", role=Role.ADMIN, token_id=8)


def test_an_actor_is_remembered_until_its_lifetime_is_over() -> None:
    clock = Clock()
    cache = TokenCache(lifetime=60.0, clock=clock)
    cache.connected()  # as the listener says when it is up
    cache.put(b"sara", SARA, cache.generation)
    clock.now += 59.9
    assert cache.get(b"sara") == SARA
    clock.now += 0.2
    assert cache.get(b"sara") is None
    assert len(cache) == 0


def test_nothing_is_remembered_while_the_listener_is_down() -> None:
    cache = TokenCache(clock=Clock())
    cache.put(b"sara", SARA, cache.generation)  # not connected yet
    assert cache.get(b"sara") is None
    cache.connected()
    cache.put(b"sara", SARA, cache.generation)
    cache.disconnected()
    assert cache.get(b"sara") is None
    cache.put(b"sara", SARA, cache.generation)
    assert len(cache) == 0


def test_any_change_heard_forgets_every_token() -> None:
    cache = TokenCache(clock=Clock())
    cache.connected()
    cache.put(b"sara", SARA, cache.generation)
    cache.put(b"omar", OMAR, cache.generation)
    cache.notified("tokens")
    assert cache.get(b"sara") is None and cache.get(b"omar") is None


def test_a_lookup_that_raced_a_change_is_answered_but_not_kept() -> None:
    cache = TokenCache(clock=Clock())
    cache.connected()
    before = cache.generation  # the lookup starts: its row may predate a revocation …
    cache.notified("tokens")  # … which commits (and is heard) before the lookup ends
    cache.put(b"sara", SARA, before)
    assert cache.get(b"sara") is None
    cache.connected()  # a reconnect: what changed meanwhile is unknown
    cache.put(b"sara", SARA, before)
    assert len(cache) == 0


def test_the_cache_is_bounded_and_forgets_the_least_recently_used() -> None:
    cache = TokenCache(capacity=2, clock=Clock())
    cache.connected()
    cache.put(b"sara", SARA, cache.generation)
    cache.put(b"omar", OMAR, cache.generation)
    assert cache.get(b"sara") == SARA  # used: omar is now the oldest
    cache.put(b"huda", OMAR, cache.generation)
    assert len(cache) == 2
    assert cache.get(b"omar") is None and cache.get(b"sara") == SARA
