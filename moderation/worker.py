"""`moderation worker`: the outbox senders (webhooks and mail) and the retention sweeper without
the HTTP service, until SIGTERM or SIGINT. Run several to scale sending; their claims never
overlap (SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any

import structlog

from .config import Settings
from .db import create_pool
from .mail.sender import MailSender, transport_for
from .metrics import Metrics
from .notifications import Listener, listening
from .retention import sweep_forever
from .webhooks.dispatcher import Dispatcher

log = structlog.get_logger("moderation.worker")


async def run_worker(settings: Settings, *, concurrency: int | None = None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    assert settings.session_database_url, "the database URL is resolved before the worker starts"
    async with (
        create_pool(settings, min_size=1) as pool,
        listening(Listener(settings.session_database_url)) as listener,
    ):
        metrics = Metrics.create()
        jobs: list[Coroutine[Any, Any, None]] = [
            Dispatcher(
                pool, settings, metrics=metrics, concurrency=concurrency, listener=listener
            ).run(stop)
        ]
        transport = transport_for(settings)
        if transport is None:
            log.warning("mail_not_sent", detail="no MODERATION_SMTP_URL: mails wait in the outbox")
        else:
            jobs.append(
                MailSender(pool, settings, transport, metrics=metrics, listener=listener).run(stop)
            )
        if settings.retention_interval > 0:
            # No thread cache here: each `serve` hears the thread changes' NOTIFY.
            jobs.append(sweep_forever(pool, metrics, settings.retention_interval, stop))
        await asyncio.gather(*jobs)
