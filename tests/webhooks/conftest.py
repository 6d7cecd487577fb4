"""Webhook fixtures: a real receiver on 127.0.0.1 answering scripted replies, and dispatchers
started and stopped by the test (the test app runs none of its own)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pytest_aiohttp import AiohttpServer

from moderation.config import Settings
from moderation.db import create_pool
from moderation.metrics import Metrics
from moderation.webhooks.dispatcher import Dispatcher
from tests.conftest import SiteFixture, routed_settings
from tests.support import eventually


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str, database_route: str) -> Settings:
    """No dispatcher inside the app (tests start their own), and no jitter, so the retry
    schedule can be checked."""
    return routed_settings(
        request, database_url, database_route, webhook_workers=False, webhook_retry_jitter=0.0
    )


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()

    @property
    def msg_id(self) -> str:
        return self.headers["webhook-id"]


class Receiver:
    """Records every request; answers with the scripted replies in order, then with
    `respond(request)` (200 by default)."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.url = ""
        self.respond: Callable[[Received], Reply] = lambda _: Reply()
        self._script: deque[Reply] = deque()
        self._closing = asyncio.Event()
        self._arrived = asyncio.Condition()

    def script(self, *replies: Reply) -> None:
        self._script.extend(replies)

    async def handle(self, request: web.Request) -> web.Response:
        received = Received(
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.read(),
            at=time.monotonic(),
        )
        self.requests.append(received)
        async with self._arrived:
            self._arrived.notify_all()
        reply = self._script.popleft() if self._script else self.respond(received)
        if reply.delay:
            # Cut short when the test ends, so the server can close at once.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), reply.delay)
        return web.Response(status=reply.status, headers=reply.headers, body=reply.body)

    async def wait_for(self, count: int, within: float = 5.0) -> list[Received]:
        async with asyncio.timeout(within), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)
        return self.requests

    def close(self) -> None:
        self._closing.set()


@pytest.fixture
async def receiver(aiohttp_server: AiohttpServer) -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    server = await aiohttp_server(app)
    receiver.url = str(server.make_url("/hook"))
    yield receiver
    receiver.close()


@dataclass
class Running:
    dispatcher: Dispatcher
    metrics: Metrics
    pool: asyncpg.Pool
    stop_event: asyncio.Event
    task: asyncio.Task[None]

    async def stop(self) -> None:
        if not self.task.done():
            self.stop_event.set()
        try:
            await self.task
        finally:
            await self.pool.close()


StartDispatcher = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start_dispatcher(settings: Settings) -> AsyncIterator[StartDispatcher]:
    """Start a dispatcher with its own pool (as another process would have); settings may be
    overridden. Every one still running is stopped when the test ends."""
    running: list[Running] = []

    async def start(**overrides: Any) -> Running:
        own = dataclasses.replace(settings, **overrides)
        pool = await create_pool(own, min_size=1)
        metrics = Metrics.create()
        stop = asyncio.Event()
        dispatcher = Dispatcher(pool, own, metrics=metrics)
        task = asyncio.create_task(dispatcher.run(stop))
        handle = Running(dispatcher, metrics, pool, stop, task)
        running.append(handle)
        return handle

    yield start
    for handle in running:
        if not handle.pool.is_closing():
            await handle.stop()


async def register(
    client: TestClient, site: SiteFixture, url: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/sites/{site.slug}/webhooks",
        json={"url": url, **fields},
        headers=site.auth(site.admin),
    )
    assert response.status == 201, await response.text()
    created: dict[str, Any] = await response.json()
    return created


async def deliveries(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT id, endpoint_id, msg_id, event_type, body, status, attempts, attempts_allowed,
                  next_attempt_at, locked_until, completed_at
             FROM webhook_deliveries ORDER BY created_at, id"""
    )


async def attempts(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT delivery_id, attempt, at, status_code, error, duration_ms
             FROM webhook_attempts ORDER BY delivery_id, attempt"""
    )


async def settled(pool: asyncpg.Pool, count: int | None = None, within: float = 5.0) -> list[Any]:
    """Wait until there are deliveries (`count` of them, if given) and none is pending."""

    async def done() -> list[Any] | None:
        rows = await deliveries(pool)
        if (
            rows
            and (count is None or len(rows) == count)
            and all(r["status"] != "pending" for r in rows)
        ):
            return rows
        return None

    return await eventually(done, within, message="the deliveries were not settled")
