"""Token → actor, remembered per process: every moderator request shows its bearer token, and
looking it up was a database round trip of its own (a sixth of a queue page's CPU).

Any change to the tokens or sites tables (a revocation, a deleted site) is announced by a
trigger (sql/0017) with NOTIFY when it commits, and every instance forgets every token it
held as soon as it hears that. Nothing is remembered while the listener is disconnected (a
revocation could be missed then), a lookup that raced a change is not kept, and the lifetime
is a last bound on staleness, not the way revocations take effect.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from .domain import Actor
from .notifications import LISTENER, subscribed

CHANNEL = "moderation_tokens"
LIFETIME_SECONDS = 60.0
MAX_ENTRIES = 10_000


class TokenCache:
    def __init__(
        self,
        lifetime: float = LIFETIME_SECONDS,
        capacity: int = MAX_ENTRIES,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lifetime = lifetime
        self._capacity = capacity
        self._clock = clock
        self._actors: OrderedDict[bytes, tuple[Actor, float]] = OrderedDict()
        # Bumped by every change heard: a lookup read before it is answered, not kept.
        self.generation = 0
        self.listening = False

    def __len__(self) -> int:
        return len(self._actors)

    def get(self, token_hash: bytes) -> Actor | None:
        held = self._actors.get(token_hash)
        if held is None:
            return None
        actor, expires = held
        if expires < self._clock():
            del self._actors[token_hash]
            return None
        self._actors.move_to_end(token_hash)
        return actor

    def put(self, token_hash: bytes, actor: Actor, generation: int) -> None:
        """Remember a lookup that started at `generation` (read before the lookup), unless a
        change was heard since or changes can't be heard now."""
        if not self.listening or generation != self.generation:
            return
        self._actors[token_hash] = (actor, self._clock() + self._lifetime)
        self._actors.move_to_end(token_hash)
        while len(self._actors) > self._capacity:
            self._actors.popitem(last=False)

    def forget(self) -> None:
        self.generation += 1
        self._actors.clear()

    # The channel's subscriber (notifications.Listener).
    def notified(self, payload: str) -> None:
        self.forget()

    def connected(self) -> None:
        self.forget()  # changes made while nobody listened are unknown
        self.listening = True

    def disconnected(self) -> None:
        self.listening = False
        self.forget()


TOKENS = web.AppKey("moderation.tokens", TokenCache)


async def token_cache_ctx(app: web.Application) -> AsyncIterator[None]:
    cache = TokenCache()
    app[TOKENS] = cache
    async with subscribed(app[LISTENER], None, CHANNEL, cache):
        yield
