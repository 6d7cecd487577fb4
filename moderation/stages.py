"""CPU per accepted comment by stage, for the benchmark (`MODERATION_STAGE_TIMING=1`).

Off (the default) nothing is measured: callers get `None` instead of a clock and call straight
through. On, each stage adds the CPU time of this thread while it runs: synchronous stages
around the call, awaited ones step by step (only the steps of that coroutine, never the other
requests that run while it waits). `GET /debug/stages` answers the totals; the route exists only
in this mode. What no stage covers (HTTP parsing and answering, the event loop, asyncpg's reading
of replies, logging, metrics) is "the rest": the process's CPU minus the stages.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from aiohttp import web

PARSING = "parsing and validation"
RULES = "rules"
SANITIZING = "sanitizing and rendering"
MAIL = "composing mail"  # the confirmation mail's draft (the sender composes it later)
DATABASE = "database"
STAGES = (PARSING, RULES, SANITIZING, MAIL, DATABASE)

P = ParamSpec("P")
T = TypeVar("T")


class StageClock:
    def __init__(self) -> None:
        self.ns = dict.fromkeys(STAGES, 0)
        self.accepted = 0
        self.awaited: str | None = None  # the awaited stage whose step is running, if any

    def call(self, stage: str, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Calls `function`, its CPU time going to `stage` (and not to the awaited stage that
        called it)."""
        start = time.thread_time_ns()
        try:
            return function(*args, **kwargs)
        finally:
            spent = time.thread_time_ns() - start
            self.ns[stage] += spent
            if self.awaited is not None:
                self.ns[self.awaited] -= spent

    def awaiting(self, stage: str, awaitable: Awaitable[T]) -> Awaitable[T]:
        return _Steps(self, stage, awaitable)

    def totals(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "ns": dict(self.ns)}


class _Steps(Awaitable[T]):
    """Awaits `awaitable`, adding the CPU time of each of its steps to `stage`."""

    __slots__ = ("_awaitable", "_clock", "_stage")

    def __init__(self, clock: StageClock, stage: str, awaitable: Awaitable[T]) -> None:
        self._clock, self._stage, self._awaitable = clock, stage, awaitable

    def __await__(self) -> Generator[Any, Any, T]:
        steps = self._awaitable.__await__()
        clock = self._clock
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            clock.awaited = self._stage
            start = time.thread_time_ns()
            try:
                yielded = steps.send(sent) if thrown is None else steps.throw(thrown)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            finally:
                clock.ns[self._stage] += time.thread_time_ns() - start
                clock.awaited = None
            sent, thrown = None, None
            try:
                sent = yield yielded
            except BaseException as exc:  # cancellation and the like go into the coroutine
                thrown = exc


def timed(
    clock: StageClock | None,
    stage: str,
    function: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """`function(...)`; with a clock, its CPU time goes to `stage`."""
    if clock is None:
        return function(*args, **kwargs)
    return clock.call(stage, function, *args, **kwargs)


def awaited(clock: StageClock | None, stage: str, awaitable: Awaitable[T]) -> Awaitable[T]:
    """`awaitable`; with a clock, the CPU time of its steps goes to `stage`."""
    return awaitable if clock is None else clock.awaiting(stage, awaitable)


STAGE_CLOCK = web.AppKey("moderation.stage_clock", StageClock)
# The clock of the request being served, for stages deep in a use case (composing mail).
CURRENT: ContextVar[StageClock | None] = ContextVar("moderation.stage_clock", default=None)


def clock_of(app: web.Application) -> StageClock | None:
    return app.get(STAGE_CLOCK)


async def _totals(request: web.Request) -> web.Response:
    return web.json_response(request.app[STAGE_CLOCK].totals())


def enable(app: web.Application) -> None:
    app[STAGE_CLOCK] = StageClock()
    app.router.add_get("/debug/stages", _totals)
