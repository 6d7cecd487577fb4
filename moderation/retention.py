"""The retention sweeper: every MODERATION_RETENTION_INTERVAL seconds, in `serve` (a cleanup
context) and in `worker`, one round of service.retention over every site, with its metrics and
one log line of counts. A round that meets a database outage is logged and tried again on the
next; several instances at once share the work (service/retention.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Collection

import asyncpg
import structlog
from aiohttp import web

from .config import SETTINGS
from .db import POOL
from .errors import DATABASE_UNAVAILABLE
from .metrics import METRICS, Metrics
from .service import retention
from .threadcache import THREADS, ThreadCache

log = structlog.get_logger("moderation.retention")

# Forgetting addresses walks every author of every site that limits them (about half a minute
# of small queries for 200,000 authors over 900,000 comments, bench/bench_retention.py): a
# round does it at most this often; the other kinds are found by index in every round.
ADDRESS_WALK_SECONDS = 6 * 3600.0


async def sweep_once(
    pool: asyncpg.Pool,
    metrics: Metrics,
    threads: ThreadCache | None = None,
    kinds: Collection[str] = retention.KINDS,
) -> dict[str, int] | None:
    """One round: the rows purged by kind, all sites together (None if the database failed)."""
    started = time.perf_counter()

    def observe(kind: str, rows: int, seconds: float) -> None:
        metrics.retention_purged.labels(kind).inc(rows)
        metrics.retention_batch.observe(seconds)

    try:
        by_site = await retention.sweep(pool, threads=threads, observe=observe, kinds=kinds)
    # A database outage, a deadlock or a cancelled statement: the next round does it.
    except (*DATABASE_UNAVAILABLE, asyncpg.PostgresError) as exc:
        log.warning("retention_sweep_failed", error=type(exc).__name__)
        return None
    seconds = time.perf_counter() - started
    metrics.retention_sweep.observe(seconds)
    totals = {kind: sum(counts.get(kind, 0) for counts in by_site.values()) for kind in kinds}
    log.info("retention_swept", sites=len(by_site), seconds=round(seconds, 3), **totals)
    return totals


async def sweep_forever(
    pool: asyncpg.Pool,
    metrics: Metrics,
    every: float,
    stop: asyncio.Event,
    threads: ThreadCache | None = None,
) -> None:
    """A round every `every` seconds until `stop` is set. A round under way then is cancelled:
    its open batch rolls back, and the next start does it again (every step is idempotent)."""
    stopping = asyncio.create_task(stop.wait())
    walked_at: float | None = None
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(stopping), every)
            if stop.is_set():
                return
            kinds: tuple[str, ...] = retention.KINDS
            if walked_at is not None and time.monotonic() - walked_at < ADDRESS_WALK_SECONDS:
                kinds = tuple(k for k in kinds if k != "email")
            started = time.monotonic()
            round_ = asyncio.create_task(sweep_once(pool, metrics, threads, kinds))
            await asyncio.wait({round_, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not round_.done():
                round_.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await round_
                log.info("retention_sweep_interrupted")
                return
            if "email" in kinds and round_.result() is not None:
                walked_at = started  # a failed round walks again next time
    finally:
        stopping.cancel()


async def sweeper_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.retention_interval <= 0:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(
        sweep_forever(
            app[POOL], app[METRICS], settings.retention_interval, stop, threads=app[THREADS]
        ),
        name="retention-sweeper",
    )
    yield
    stop.set()
    await task
