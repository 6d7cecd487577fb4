"""Where a claimed mail goes: an SMTP relay (aiosmtplib, one connection reused for a run of
mails), or, in development without a relay, nowhere: it is kept for /dev/mail. Each attempt
comes back classified: sent, kept, retry later, failed for good, or address undeliverable."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

import aiosmtplib

from .relay import SmtpRelay

MAX_ERROR_LENGTH = 300
# RFC 5321 4.5.3.1.10: a 552 to RCPT means "mailbox full for now" and is treated as temporary.
TEMPORARY_5XX = frozenset({552})


class Outcome(enum.Enum):
    SENT = "sent"
    KEPT = "kept"
    TEMPORARY = "temporary"
    FAILED = "failed"
    UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True, slots=True)
class Attempted:
    outcome: Outcome
    smtp_code: int | None = None
    error: str | None = None


def check_recipient(recipient: str) -> None:
    """One address fit for an envelope and a `To:` line; raises ValueError otherwise."""
    local, at, domain = recipient.rpartition("@")
    if not (local and at and domain) or not recipient.isprintable():
        raise ValueError("not an address")
    if any(c.isspace() or c in "<>,;" for c in recipient):
        raise ValueError("not a single address")


def with_recipient(raw: bytes, recipient: str) -> bytes:
    """The stored message (which never holds the address) with its `To:` header in front.

    Header order carries no meaning (RFC 5322 3.6), and the rest of the message is ASCII
    already, so the composed bytes are sent as they are, not parsed and generated again. An
    internationalized address goes as UTF-8 (RFC 6532), which needs SMTPUTF8 of the relay."""
    check_recipient(recipient)
    return b"To: " + recipient.encode() + b"\r\n" + raw


def describe(text: str) -> str:
    """An SMTP reply or error for logs and the attempts table: short, and without any address
    (servers often echo the recipient back). Word by word, so it costs linear time."""
    words = text[: MAX_ERROR_LENGTH * 2].split()
    return " ".join("<address>" if "@" in word else word for word in words)[:MAX_ERROR_LENGTH]


class Connection(Protocol):
    async def send(self, message: bytes, sender: str, recipient: str) -> Attempted: ...


class Transport(Protocol):
    def connection(self) -> contextlib.AbstractAsyncContextManager[Connection]: ...


class KeepTransport:
    """Development without MODERATION_SMTP_URL: nothing leaves; the mail is marked kept."""

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        yield _Keep()


class _Keep:
    async def send(self, message: bytes, sender: str, recipient: str) -> Attempted:
        return Attempted(Outcome.KEPT)


class SmtpTransport:
    """`timeout` bounds each SMTP command; `limit` one whole mail (connecting included)."""

    def __init__(self, relay: SmtpRelay, timeout: float, limit: float) -> None:
        self._relay = relay
        self._timeout = timeout
        self._limit = limit

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection opened at the first send, reopened after a failure, closed at the end."""
        connection = _SmtpConnection(self._relay, self._timeout, self._limit)
        try:
            yield connection
        finally:
            await connection.close()


class _SmtpConnection:
    def __init__(self, relay: SmtpRelay, timeout: float, limit: float) -> None:
        self._relay = relay
        self._timeout = timeout
        self._limit = limit
        self._client: aiosmtplib.SMTP | None = None

    async def _open(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        relay = self._relay
        client = aiosmtplib.SMTP(
            hostname=relay.host,
            port=relay.port,
            use_tls=relay.implicit_tls,
            start_tls=False if relay.implicit_tls else relay.starttls,
            username=relay.username,
            password=relay.password,
            timeout=self._timeout,
        )
        await client.connect()
        self._client = client
        return client

    async def send(self, message: bytes, sender: str, recipient: str) -> Attempted:
        options = [] if recipient.isascii() else ["SMTPUTF8"]
        try:
            async with asyncio.timeout(self._limit):
                client = await self._open()
                await client.sendmail(sender, [recipient], message, mail_options=options)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            permanent = refused.code >= 500 and refused.code not in TEMPORARY_5XX
            return Attempted(
                Outcome.UNDELIVERABLE if permanent else Outcome.TEMPORARY,
                refused.code,
                describe(f"{refused.code} {refused.message}"),
            )
        except aiosmtplib.SMTPDataError as exc:
            # Refused after the envelope was accepted: this message, not the address.
            outcome = Outcome.FAILED if exc.code >= 500 else Outcome.TEMPORARY
            return Attempted(outcome, exc.code, describe(f"{exc.code} {exc.message}"))
        except aiosmtplib.SMTPResponseException as exc:
            # Greeting, EHLO, STARTTLS, AUTH or MAIL FROM: the relay or our configuration is at
            # fault, not the recipient, so the mail waits and is tried again.
            await self.close()
            return Attempted(
                Outcome.TEMPORARY, exc.code, describe(f"{type(exc).__name__}: {exc.message}")
            )
        except ValueError as exc:  # an address aiosmtplib won't put in an envelope
            return Attempted(Outcome.FAILED, None, describe(f"invalid address: {exc}"))
        except aiosmtplib.SMTPNotSupported as exc:
            return Attempted(Outcome.FAILED, None, describe(f"not supported: {exc.message}"))
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            return Attempted(Outcome.TEMPORARY, None, describe(f"{type(exc).__name__}: {exc}"))
        return Attempted(Outcome.SENT)

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit(timeout=min(self._timeout, 5.0))
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
