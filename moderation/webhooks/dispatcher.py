"""The webhook dispatcher: claims due deliveries (SKIP LOCKED + a lease), sends them signed, and
records every attempt and what follows it (the retry schedule, Retry-After, failure). It runs
inside `serve` (dispatcher_ctx) or alone in `moderation worker` (worker.py)."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import aiohttp
import asyncpg
import structlog
from aiohttp import web

from ..config import SETTINGS, Settings
from ..db import POOL, sturdy_connection
from ..domain import DeliveryStatus
from ..errors import DATABASE_UNAVAILABLE
from ..metrics import METRICS, Metrics
from ..notifications import LISTENER, Listener, Wakeup, subscribed
from ..service.webhooks import disable_gone
from ..store import webhooks
from ..store.webhooks import NOTIFY_CHANNEL, Claim, Result
from . import signing, ssrf

log = structlog.get_logger("moderation.webhooks")

# A missed NOTIFY (or a row inserted without one) waits at most this long.
POLL_INTERVAL = 1.0
MIN_SLEEP = 0.005
CLAIM_BATCH = 100
# Only the status matters; reading a little of the body lets a small answer keep the connection.
MAX_RESPONSE_BYTES = 1024
CONNECT_TIMEOUT = 5.0
MAX_ERROR_LENGTH = 500
ERROR_BACKOFF = 1.0
RECORD_TRIES = 3
# Statuses whose Retry-After replaces the scheduled delay (Standard Webhooks: throttling).
THROTTLED = frozenset({429, 503})
# The receiver says it is gone for good: the delivery fails and the endpoint is disabled.
GONE = 410
DATABASE_ERRORS = (*DATABASE_UNAVAILABLE, asyncpg.PostgresError, asyncpg.InterfaceError)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (delay-seconds or HTTP-date) as seconds from `now`; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def next_state(
    attempt: int,
    attempts_allowed: int | None,
    status_code: int | None,
    retry_after: float | None,
    schedule: Sequence[float],
    jitter: float = 0.0,
    rng: random.Random | None = None,
) -> tuple[DeliveryStatus, float | None]:
    """What a delivery becomes after attempt number `attempt`: (status, delay before the next).

    Any 2xx succeeds; 410 Gone fails at once. Otherwise attempt k is followed by schedule[k-1]
    (scaled by a random factor in [1 - jitter, 1 + jitter]) until the attempts are used up:
    len(schedule) + 1, or `attempts_allowed` after a manual retry. A Retry-After on 429/503
    replaces the delay, capped at the schedule's longest step.
    """
    if status_code is not None and 200 <= status_code < 300:
        return DeliveryStatus.SUCCEEDED, None
    if status_code == GONE:
        return DeliveryStatus.FAILED, None
    allowed = attempts_allowed if attempts_allowed is not None else len(schedule) + 1
    if attempt >= allowed or not schedule:
        return DeliveryStatus.FAILED, None
    delay = schedule[min(attempt, len(schedule)) - 1]
    if jitter:
        delay *= (rng or random).uniform(1 - jitter, 1 + jitter)
    if status_code in THROTTLED and retry_after is not None:
        delay = min(retry_after, max(schedule))
    return DeliveryStatus.PENDING, delay


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]


class Dispatcher:
    """Keeps up to `concurrency` deliveries in flight, at most `webhook_endpoint_concurrency` of
    them to any one endpoint (a receiver that never answers holds only its own share): one loop
    claims (woken by NOTIFY, a poll, the next due time, or free room), each claim is sent by its
    own task, and a recorder writes finished attempts in batches. Never holds a transaction
    across a request."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        *,
        metrics: Metrics | None = None,
        concurrency: int | None = None,
        rng: random.Random | None = None,
        listener: Listener | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._metrics = metrics
        self._capacity = max(1, concurrency or settings.webhook_concurrency)
        self._per_endpoint = max(1, min(self._capacity, settings.webhook_endpoint_concurrency))
        self._endpoint_refill = max(1, self._per_endpoint // 4)
        # (site_id, endpoint_id) → attempts in flight there.
        self._endpoint_load: dict[tuple[int, int], int] = {}
        # Endpoints whose last claim got all their share: more of theirs is likely due, so the
        # loop claims again as soon as they have room (a poll would leave them idle meanwhile).
        self._capped: set[tuple[int, int]] = set()
        # Claim again once this much room is free, so claims come in batches, not one by one.
        self._refill = max(1, min(self._capacity, CLAIM_BATCH) // 4)
        self._rng = rng or random.Random()
        self._in_flight: dict[asyncio.Task[None], Claim] = {}
        self._results: list[Result] = []
        self._results_ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._backlog = False
        self._closing = False
        self._http: aiohttp.ClientSession | None = None
        self._listener = listener

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set; then claim nothing new, give in-flight attempts
        `shutdown_grace` seconds to finish, and release the rest so they aren't counted."""
        settings = self._settings
        timeout = aiohttp.ClientTimeout(
            total=settings.webhook_timeout, connect=min(CONNECT_TIMEOUT, settings.webhook_timeout)
        )
        # One connection per delivery in flight and no per-host queue: a wait for a pooled
        # connection would eat into the attempt's timeout without the receiver being asked.
        connector = ssrf.guarded_connector(
            allow_private=settings.webhook_allow_private, limit=self._capacity, limit_per_host=0
        )
        stopping = asyncio.create_task(stop.wait(), name="webhook-dispatcher-stop")
        stopping.add_done_callback(lambda _: self._wake.set())
        async with (
            subscribed(
                self._listener, settings.session_database_url, NOTIFY_CHANNEL, Wakeup(self._wake)
            ),
            aiohttp.ClientSession(connector=connector, timeout=timeout, trust_env=False) as http,
        ):
            self._http = http
            recorder = asyncio.create_task(self._record_loop(), name="webhook-recorder")
            log.info("webhook_dispatcher_started", concurrency=self._capacity)
            try:
                await self._claim_loop(stop)
            finally:
                stopping.cancel()
                await self._drain()
                self._closing = True
                self._results_ready.set()
                await recorder
                log.info("webhook_dispatcher_stopped")

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()  # before claiming: a wake-up that arrives meanwhile is kept
            pause = await self._claim()
            if pause > 0 and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(pause):
                        await self._wake.wait()

    async def _claim(self) -> float:
        """Claim what fits and start sending it; return how long to wait before looking again."""
        free = self._capacity - len(self._in_flight)
        if free <= 0:
            return POLL_INTERVAL  # a finishing send wakes the loop
        limit = min(free, CLAIM_BATCH)
        share = {key: self._per_endpoint - load for key, load in self._endpoint_load.items()}
        next_due: float | None = None
        try:
            async with sturdy_connection(self._pool) as conn:
                claims = await webhooks.claim_due(
                    conn,
                    limit,
                    self._settings.webhook_lease,
                    per_endpoint=self._per_endpoint,
                    busy=self._endpoint_load,
                )
                if len(claims) < limit:
                    next_due = await webhooks.seconds_until_next_due(conn)
        except DATABASE_ERRORS as exc:
            log.warning("webhook_claim_failed", error=_describe(exc))
            return ERROR_BACKOFF
        except Exception:  # whatever it was, the dispatcher must outlive it
            log.exception("webhook_claim_crashed")
            return ERROR_BACKOFF
        claimed: dict[tuple[int, int], int] = {}
        for claim in claims:
            task = asyncio.create_task(self._deliver(claim), name=f"webhook-delivery-{claim.id}")
            self._in_flight[task] = claim
            key = (claim.site_id, claim.endpoint_id)
            self._endpoint_load[key] = self._endpoint_load.get(key, 0) + 1
            claimed[key] = claimed.get(key, 0) + 1
            task.add_done_callback(self._sent)
        for key, count in claimed.items():
            if count >= share.get(key, self._per_endpoint):
                self._capped.add(key)
                # Its sends may have finished while the claim ran: then room is there already.
                if self._endpoint_load.get(key, 0) <= self._per_endpoint - self._endpoint_refill:
                    self._wake.set()
        self._backlog = len(claims) == limit
        if self._backlog:
            return 0.0 if len(self._in_flight) < self._capacity else POLL_INTERVAL
        if next_due is None:
            return POLL_INTERVAL
        return min(POLL_INTERVAL, max(next_due, MIN_SLEEP))

    def _sent(self, task: asyncio.Task[None]) -> None:
        claim = self._in_flight.pop(task, None)
        if claim is not None:
            key = (claim.site_id, claim.endpoint_id)
            load = self._endpoint_load.get(key, 0) - 1
            if load > 0:
                self._endpoint_load[key] = load
            else:
                self._endpoint_load.pop(key, None)
            if key in self._capped and load <= self._per_endpoint - self._endpoint_refill:
                self._capped.discard(key)
                self._wake.set()  # that endpoint has room again; its due ones are waiting
        if self._backlog and self._capacity - len(self._in_flight) >= self._refill:
            self._wake.set()

    async def _deliver(self, claim: Claim) -> None:
        result, blocked = await self._attempt(claim)
        self._results.append(result)
        self._results_ready.set()
        self._observe(claim, result, blocked)

    async def _attempt(self, claim: Claim) -> tuple[Result, bool]:
        assert self._http is not None
        at = datetime.now(UTC)
        body = claim.body.encode()
        headers = signing.headers(claim.secrets, claim.msg_id, int(at.timestamp()), body)
        status_code: int | None = None
        retry_after: str | None = None
        error: str | None = None
        blocked = False
        started = time.perf_counter()
        try:
            async with self._http.post(
                claim.url, data=body, headers=headers, allow_redirects=False
            ) as response:
                status_code = response.status
                retry_after = response.headers.get("Retry-After")
                # The answer is in; a slow or broken body doesn't change it.
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    await response.content.read(MAX_RESPONSE_BYTES)
        except TimeoutError:
            error = f"timeout after {self._settings.webhook_timeout:g} s"
        except aiohttp.ClientError as exc:
            reason = ssrf.blocked_reason(exc)
            blocked = reason is not None
            error = f"blocked: {reason}" if reason is not None else _describe(exc)
        except Exception as exc:  # a bug in one attempt must not stop the dispatcher
            log.exception("webhook_attempt_crashed", delivery_id=claim.id)
            error = f"internal error: {type(exc).__name__}"
        duration = time.perf_counter() - started
        status, delay = next_state(
            claim.attempt,
            claim.attempts_allowed,
            status_code,
            retry_after_seconds(retry_after, datetime.now(UTC)),
            self._settings.webhook_retry_schedule,
            self._settings.webhook_retry_jitter,
            self._rng,
        )
        result = Result(
            site_id=claim.site_id,
            id=claim.id,
            endpoint_id=claim.endpoint_id,
            attempt=claim.attempt,
            status=status,
            delay=delay,
            at=at,
            status_code=status_code,
            error=error,
            duration_ms=duration * 1000,
        )
        return result, blocked

    def _observe(self, claim: Claim, result: Result, blocked: bool) -> None:
        outcome = (
            "blocked"
            if blocked
            else {
                DeliveryStatus.SUCCEEDED: "succeeded",
                DeliveryStatus.PENDING: "retried",
                DeliveryStatus.FAILED: "failed",
            }[result.status]
        )
        if self._metrics is not None:
            self._metrics.webhook_attempts.labels(outcome).inc()
            self._metrics.webhook_latency.observe(result.duration_ms / 1000)
        log.info(
            "webhook_attempt",
            endpoint_id=claim.endpoint_id,
            delivery_id=claim.id,
            attempt=claim.attempt,
            status=result.status_code,
            error=result.error,
            duration_ms=round(result.duration_ms, 2),
            outcome=outcome,
        )

    async def _record_loop(self) -> None:
        while True:
            await self._results_ready.wait()
            self._results_ready.clear()
            batch, self._results = self._results, []
            if batch:
                await self._record(batch)
            if self._closing and not self._results:
                return

    async def _record(self, batch: list[Result]) -> None:
        for _ in range(RECORD_TRIES):
            try:
                async with sturdy_connection(self._pool) as conn:
                    await webhooks.record_results(conn, batch)
                break
            except DATABASE_ERRORS as exc:
                log.warning("webhook_record_failed", error=_describe(exc), deliveries=len(batch))
            except Exception:
                log.exception("webhook_record_crashed", deliveries=len(batch))
            await asyncio.sleep(ERROR_BACKOFF)
        else:
            # Their leases expire and they are sent again: at-least-once, never lost.
            log.error("webhook_results_unrecorded", deliveries=len(batch))
        for endpoint in dict.fromkeys((r.site_id, r.endpoint_id) for r in batch if r.gone):
            await self._disable_gone(*endpoint)
        if any(r.status == DeliveryStatus.PENDING for r in batch):
            self._wake.set()  # a retry may be due sooner than the next poll

    async def _disable_gone(self, site_id: int, endpoint_id: int) -> None:
        try:
            endpoint = await disable_gone(self._pool, site_id, endpoint_id)
        except Exception as exc:  # the next 410 from that receiver tries again
            log.warning("webhook_disable_failed", endpoint_id=endpoint_id, error=_describe(exc))
            return
        if endpoint is not None:
            log.info("webhook_endpoint_disabled", endpoint_id=endpoint_id, reason="gone")

    async def _drain(self) -> None:
        if not self._in_flight:
            return
        tasks = dict(self._in_flight)
        log.info("webhook_dispatcher_draining", in_flight=len(tasks))
        _, unfinished = await asyncio.wait(tasks, timeout=self._settings.shutdown_grace)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        released = [tasks[task] for task in unfinished if task.cancelled()]
        if not released:
            return
        try:
            async with sturdy_connection(self._pool) as conn:
                await webhooks.release(conn, released)
            log.info("webhook_deliveries_released", deliveries=len(released))
        except Exception as exc:  # their leases expire instead
            log.warning("webhook_release_failed", error=_describe(exc), deliveries=len(released))


async def dispatcher_ctx(app: web.Application) -> AsyncIterator[None]:
    """Runs one dispatcher beside the HTTP service when `webhook_workers` is on."""
    settings = app[SETTINGS]
    if not settings.webhook_workers:
        yield
        return
    stop = asyncio.Event()
    dispatcher = Dispatcher(app[POOL], settings, metrics=app[METRICS], listener=app[LISTENER])
    task = asyncio.create_task(dispatcher.run(stop), name="webhook-dispatcher")
    yield
    stop.set()  # finish or release what is in flight (within shutdown_grace), claim nothing new
    await task
