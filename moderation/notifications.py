"""The process's one LISTEN connection: the thread cache, the webhook dispatcher and the mail
sender subscribe to their channels here. It connects on the direct database URL (LISTEN needs a
session, which a transaction-mode pooler doesn't keep), reconnects with backoff, LISTENs again on
every subscribed channel, and tells each subscriber when it is up and when it went down, so
they stop trusting notifications (and poll, or cache nothing) meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

import asyncpg
import structlog
from aiohttp import web

from .config import SETTINGS
from .errors import DATABASE_UNAVAILABLE

log = structlog.get_logger("moderation.notifications")

RECONNECT_SECONDS = 1.0
MAX_RECONNECT_SECONDS = 10.0
CONNECT_TIMEOUT = 5.0
CLOSE_TIMEOUT = 1.0
ERRORS = (*DATABASE_UNAVAILABLE, asyncpg.PostgresError, asyncpg.InterfaceError)


class Subscriber(Protocol):
    def notified(self, payload: str) -> None:
        """A NOTIFY on the channel arrived."""

    def connected(self) -> None:
        """Notifications are heard from now on; any sent while down were missed."""

    def disconnected(self) -> None:
        """Notifications can't be heard until `connected` is called again."""


class Listener:
    """One connection listening on every subscribed channel; `run` keeps it open."""

    def __init__(
        self,
        database_url: str,
        *,
        reconnect: float = RECONNECT_SECONDS,
        max_reconnect: float = MAX_RECONNECT_SECONDS,
    ) -> None:
        self._database_url = database_url
        self._reconnect = reconnect
        self._max_reconnect = max_reconnect
        self._channels: dict[str, list[Subscriber]] = {}
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self._conn is not None

    async def subscribe(self, channel: str, subscriber: Subscriber) -> None:
        """Hear `channel` from now on; `subscriber.connected()` is called at once if the
        connection is up, else when it comes up."""
        new_channel = channel not in self._channels
        self._channels.setdefault(channel, []).append(subscriber)
        conn = self._conn
        if conn is None:
            return
        if new_channel:
            try:
                await conn.add_listener(channel, self._dispatch)
            except ERRORS as exc:
                log.warning("listener_lost", error=type(exc).__name__)
                self._lost.set()  # the reconnect LISTENs on every channel
                return
        subscriber.connected()

    def unsubscribe(self, channel: str, subscriber: Subscriber) -> None:
        """Stop telling `subscriber`; the channel stays LISTENed until the next reconnect."""
        subscribers = self._channels.get(channel, [])
        with contextlib.suppress(ValueError):
            subscribers.remove(subscriber)

    def _dispatch(self, _conn: object, _pid: int, channel: str, payload: object) -> None:
        for subscriber in list(self._channels.get(channel, ())):
            subscriber.notified(str(payload))

    def _everyone(self) -> list[Subscriber]:
        return [s for subscribers in self._channels.values() for s in subscribers]

    async def run(self, stop: asyncio.Event) -> None:
        """Stay connected until `stop` is set; each failure waits twice as long as the last
        (from `reconnect` up to `max_reconnect`) before connecting again."""
        delay = self._reconnect
        while not stop.is_set():
            if await self._session(stop):
                delay = self._reconnect  # it was up: the next outage starts afresh
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await stop.wait()
            delay = min(delay * 2, self._max_reconnect)

    async def _session(self, stop: asyncio.Event) -> bool:
        """One connection's life; whether it got as far as listening."""
        try:
            conn = await asyncpg.connect(self._database_url, timeout=CONNECT_TIMEOUT)
        except (*ERRORS, OSError, TimeoutError) as exc:
            log.warning("listener_connect_failed", error=type(exc).__name__)
            return False
        self._lost.clear()
        conn.add_termination_listener(lambda _conn: self._lost.set())
        try:
            for channel in list(self._channels):
                await conn.add_listener(channel, self._dispatch)
            self._conn = conn
            for subscriber in self._everyone():
                subscriber.connected()
            stop_waiter = asyncio.ensure_future(stop.wait())
            lost_waiter = asyncio.ensure_future(self._lost.wait())
            await asyncio.wait({stop_waiter, lost_waiter}, return_when=asyncio.FIRST_COMPLETED)
            stop_waiter.cancel()
            lost_waiter.cancel()
            if not stop.is_set():
                log.warning("listener_lost", error="connection closed")
            return True
        except ERRORS as exc:
            log.warning("listener_lost", error=type(exc).__name__)
            return self._conn is not None
        finally:
            was_up = self._conn is not None
            self._conn = None
            if was_up:
                for subscriber in self._everyone():
                    subscriber.disconnected()
            with contextlib.suppress(*ERRORS):
                await conn.close(timeout=CLOSE_TIMEOUT)


@contextlib.asynccontextmanager
async def listening(listener: Listener) -> AsyncIterator[Listener]:
    """Runs `listener` for the duration of the block."""
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(stop), name="notification-listener")
    try:
        yield listener
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=CONNECT_TIMEOUT)
        except TimeoutError:
            task.cancel()


class Wakeup:
    """A subscriber that wakes a sender's loop on each notification, and on each (re)connect,
    since what was announced meanwhile is unknown; while down, the sender's poll covers."""

    def __init__(self, event: asyncio.Event) -> None:
        self._event = event

    def notified(self, payload: str) -> None:
        self._event.set()

    def connected(self) -> None:
        self._event.set()

    def disconnected(self) -> None:
        pass


@contextlib.asynccontextmanager
async def subscribed(
    listener: Listener | None, database_url: str | None, channel: str, subscriber: Subscriber
) -> AsyncIterator[None]:
    """`subscriber` hears `channel` for the duration of the block, from `listener`, or from a
    listener of its own on `database_url` when none is given (a sender run on its own)."""
    if listener is None:
        assert database_url, "the database URL is resolved before a sender starts"
        async with listening(Listener(database_url)) as own:
            await own.subscribe(channel, subscriber)
            yield
        return
    await listener.subscribe(channel, subscriber)
    try:
        yield
    finally:
        listener.unsubscribe(channel, subscriber)


LISTENER = web.AppKey("moderation.listener", Listener)


async def listener_ctx(app: web.Application) -> AsyncIterator[None]:
    database_url = app[SETTINGS].session_database_url
    assert database_url, "the database URL is resolved before the app starts"
    async with listening(Listener(database_url)) as listener:
        app[LISTENER] = listener
        yield
