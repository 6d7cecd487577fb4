"""Time in tests: anything asynchronous is awaited with `eventually`, never with an open poll, so
a regression fails its test instead of hanging the run; where code takes a `clock`, a Clock
stands still until the test moves it. Also the few small builders several test modules share."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

from moderation.domain import SiteSettings

T = TypeVar("T")

INTERVAL = 0.01


async def eventually(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 5.0,  # noqa: ASYNC109 (a bound on the whole poll, not on one call)
    *,
    interval: float = INTERVAL,
    message: str = "the condition did not come true",
) -> T:
    """Call `predicate` (plain or async) until it returns something truthy, and return that;
    fail with `message` once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            async with asyncio.timeout(max(deadline - time.monotonic(), interval)):
                value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message} within {timeout:g} s")
        await asyncio.sleep(interval)


class Clock:
    """A monotonic clock that moves only when told: `clock.now += seconds`."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def whole_settings(settings: SiteSettings) -> dict[str, object]:
    """Every setting by name, as the CLI saves a whole policy at once."""
    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(SiteSettings)}


def with_password(url: str, password: str) -> str:
    """The database URL with a password, its host part as written (a TCP host and port, or
    none at all for a Unix socket named by `?host=`, as the embedded test server's)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))
