"""The mail sender: claims due mails from the outbox (SKIP LOCKED + a lease), sends them over a
few reused SMTP connections, and records each attempt and what follows (sent, a retry on the
schedule, failed, or the address suppressed). Runs inside `serve` (sender_ctx) and in
`moderation worker`; a sender killed mid-send loses nothing: the lease expires and another
sender claims the mail again."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import asyncpg
import structlog
from aiohttp import web

from ..config import SETTINGS, Settings
from ..db import POOL, sturdy_connection
from ..domain import MailStatus
from ..errors import DATABASE_UNAVAILABLE
from ..metrics import METRICS, Metrics
from ..notifications import LISTENER, Listener, Wakeup, subscribed
from ..sealing import Unreadable
from ..store import Connection, mail
from ..store.mail import Claim, Result
from .outbox import composed_from
from .transport import (
    Attempted,
    KeepTransport,
    Outcome,
    SmtpTransport,
    Transport,
    describe,
    elapsed_ms,
    with_recipient,
)

log = structlog.get_logger("moderation.mail")

POLL_INTERVAL = 1.0
MIN_SLEEP = 0.005
ERROR_BACKOFF = 1.0
# Mails claimed per connection and round: a round ends well inside the lease.
PER_CONNECTION = 10
RETRY_JITTER = 0.1
DATABASE_ERRORS = (*DATABASE_UNAVAILABLE, asyncpg.PostgresError, asyncpg.InterfaceError)
STATUS_OF = {
    Outcome.SENT: MailStatus.SENT,
    Outcome.KEPT: MailStatus.KEPT,
    Outcome.FAILED: MailStatus.FAILED,
    Outcome.UNDELIVERABLE: MailStatus.UNDELIVERABLE,
}


def next_status(
    attempt: int,
    outcome: Outcome,
    schedule: Sequence[float],
    rng: random.Random | None = None,
) -> tuple[MailStatus, float | None]:
    """What a mail becomes after attempt number `attempt`: (status, delay before the next).
    A temporary failure is retried after schedule[attempt - 1] (±10%) until the schedule is
    used up; then the mail has failed."""
    if outcome is not Outcome.TEMPORARY:
        return STATUS_OF[outcome], None
    if attempt > len(schedule):
        return MailStatus.FAILED, None
    return MailStatus.PENDING, schedule[attempt - 1] * (rng or random).uniform(
        1 - RETRY_JITTER, 1 + RETRY_JITTER
    )


def transport_for(settings: Settings) -> Transport | None:
    """The relay when one is configured; in development, keep mails; otherwise none (mails
    wait in the outbox until a relay is configured)."""
    if settings.smtp is not None:
        # One mail may take a few commands' time, never so long that its lease runs out.
        limit = min(4 * settings.smtp_timeout, settings.mail_lease / 2)
        return SmtpTransport(settings.smtp, settings.smtp_timeout, limit)
    return KeepTransport() if settings.development else None


class MailSender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        transport: Transport,
        *,
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
        listener: Listener | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._transport = transport
        self._metrics = metrics
        self._rng = rng or random.Random()
        self._batch = settings.mail_connections * PER_CONNECTION
        self._wake = asyncio.Event()
        self._listener = listener

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; then each connection finishes the mail in hand, and the
        rest of the round is given back unsent."""
        stopping = asyncio.create_task(stop.wait(), name="mail-sender-stop")
        stopping.add_done_callback(lambda _: self._wake.set())
        log.info("mail_sender_started", connections=self._settings.mail_connections)
        try:
            async with subscribed(
                self._listener,
                self._settings.session_database_url,
                mail.NOTIFY_CHANNEL,
                Wakeup(self._wake),
            ):
                await self._loop(stop)
        finally:
            stopping.cancel()
            log.info("mail_sender_stopped")

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            pause = await self._round(stop)
            if pause > 0 and not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(pause):
                        await self._wake.wait()

    async def _round(self, stop: asyncio.Event) -> float:
        """Claim, send and record one batch; how long to wait before the next."""
        next_due: float | None = None
        try:
            async with sturdy_connection(self._pool) as conn:
                claims = await mail.claim_due(conn, self._batch, self._settings.mail_lease)
                if len(claims) < self._batch:
                    next_due = await mail.seconds_until_next_due(conn)
                ready, failed = await self._composed(conn, claims)
        except DATABASE_ERRORS as exc:
            log.warning("mail_claim_failed", error=describe(f"{type(exc).__name__}: {exc}"))
            return ERROR_BACKOFF
        except Exception:  # whatever it was, the sender must outlive it
            log.exception("mail_claim_crashed")
            return ERROR_BACKOFF
        if claims:
            results, unsent = await self._send(ready, stop)
            await self._finish(failed + results, unsent)
            if len(claims) == self._batch:
                return 0.0
        return POLL_INTERVAL if next_due is None else min(POLL_INTERVAL, max(next_due, MIN_SLEEP))

    async def _composed(
        self, conn: Connection, claims: list[Claim]
    ) -> tuple[list[tuple[Claim, bytes]], list[Result]]:
        """Each claim with the bytes to send: mails not composed yet are composed from their
        drafts here, and stored before any is sent (a retry sends the same message). A mail
        erased meanwhile is left out; one that cannot be composed is an attempt that failed
        (retried on the schedule: the fault is ours, a release may mend it)."""
        composed: list[tuple[int, int, bytes]] = []
        failed: list[Result] = []
        for claim in claims:
            if claim.draft is None:
                continue
            at, started = datetime.now(UTC), time.perf_counter()
            try:
                composed.append((claim.site_id, claim.id, composed_from(claim.draft)))
            except Exception as exc:  # one mail's bug must not stop the others
                # The error's name only: its message could quote the draft (a name, a comment).
                log.error("mail_compose_crashed", mail_id=claim.id, error=type(exc).__name__)
                attempted = Attempted(Outcome.TEMPORARY, None, type(exc).__name__)
                failed.append(self._result(claim, attempted, at, elapsed_ms(started)))
            await asyncio.sleep(0)  # composing is CPU: let the requests of `serve` in between
        stored = await mail.store_composed(conn, composed)
        ready: list[tuple[Claim, bytes]] = []
        for claim in claims:
            message = claim.message or stored.get((claim.site_id, claim.id))
            if message is not None:
                ready.append((claim, message))
        return ready, failed

    async def _send(
        self, claims: list[tuple[Claim, bytes]], stop: asyncio.Event
    ) -> tuple[list[Result], list[Claim]]:
        connections = self._settings.mail_connections
        slices = [claims[n::connections] for n in range(connections) if claims[n::connections]]
        results: list[Result] = []
        unsent: list[Claim] = []
        # No mail is started after a third of the lease, and each takes at most half of it
        # (transport_for), so the round is recorded before any of its leases runs out.
        last_start = time.monotonic() + self._settings.mail_lease / 3

        async def send_slice(batch: list[tuple[Claim, bytes]]) -> None:
            async with self._transport.connection() as smtp:
                for position, (claim, message) in enumerate(batch):
                    if stop.is_set() or time.monotonic() > last_start:
                        unsent.extend(claim for claim, _ in batch[position:])
                        return
                    at, started = datetime.now(UTC), time.perf_counter()
                    try:
                        to = self._settings.email_keys.reveal(claim.recipient)
                        attempted = await smtp.send(
                            with_recipient(message, to),
                            self._settings.mail_from,
                            to,
                        )
                    except Unreadable as exc:
                        # Another instance may know the key id (a rollout of a new key): retried
                        # on the schedule like any temporary failure, then failed.
                        attempted = Attempted(Outcome.TEMPORARY, None, f"address unreadable: {exc}")
                    except ValueError as exc:
                        attempted = Attempted(Outcome.FAILED, None, describe(str(exc)))
                    except Exception as exc:  # one mail's bug must not stop the others
                        log.exception("mail_attempt_crashed", mail_id=claim.id)
                        attempted = Attempted(Outcome.TEMPORARY, None, type(exc).__name__)
                    results.append(self._result(claim, attempted, at, elapsed_ms(started)))

        await asyncio.gather(*(send_slice(batch) for batch in slices))
        return results, unsent

    def _result(self, claim: Claim, attempted: Attempted, at: datetime, ms: float) -> Result:
        status, delay = next_status(
            claim.attempt, attempted.outcome, self._settings.mail_retry_schedule, self._rng
        )
        outcome = "retried" if status is MailStatus.PENDING else status.value
        if self._metrics is not None:
            self._metrics.mail_attempts.labels(outcome).inc()
        log.info(
            "mail_attempt",
            site_id=claim.site_id,
            mail_id=claim.id,
            attempt=claim.attempt,
            outcome=outcome,
            smtp_code=attempted.smtp_code,
            error=attempted.error,
            duration_ms=round(ms, 2),
        )
        return Result(
            site_id=claim.site_id,
            id=claim.id,
            attempt=claim.attempt,
            status=status,
            delay=delay,
            at=at,
            smtp_code=attempted.smtp_code,
            error=attempted.error,
            duration_ms=ms,
            recipient_hash=claim.recipient_hash,
        )

    async def _finish(self, results: list[Result], unsent: list[Claim]) -> None:
        try:
            async with sturdy_connection(self._pool) as conn, conn.transaction():
                await mail.record_results(conn, results)
                await mail.release(conn, unsent)
        except DATABASE_ERRORS as exc:
            # Their leases expire and they are sent again: at least once, never lost.
            log.warning(
                "mail_record_failed",
                error=describe(f"{type(exc).__name__}: {exc}"),
                mails=len(results),
            )
        except Exception:
            log.exception("mail_record_crashed", mails=len(results))


async def sender_ctx(app: web.Application) -> AsyncIterator[None]:
    """Runs one mail sender beside the HTTP service when `mail_workers` is on."""
    settings = app[SETTINGS]
    transport = transport_for(settings)
    if not settings.mail_workers or transport is None:
        if settings.mail_workers:
            log.warning("mail_not_sent", detail="no MODERATION_SMTP_URL: mails wait in the outbox")
        yield
        return
    stop = asyncio.Event()
    sender = MailSender(
        app[POOL], settings, transport, metrics=app[METRICS], listener=app[LISTENER]
    )
    task = asyncio.create_task(sender.run(stop), name="mail-sender")
    yield
    stop.set()  # each connection finishes the mail in hand; the rest is handed back
    try:
        await asyncio.wait_for(task, settings.shutdown_grace)
    except TimeoutError:
        # Cut off mid-send: those mails' leases expire and they are sent again.
        log.warning("mail_sender_cut_off", grace=settings.shutdown_grace)
