"""Mail fixtures: a real SMTP server (aiosmtpd) on a free loopback port that records what it
receives and answers RCPT with scripted replies, and helpers that queue mails as use cases do."""

from __future__ import annotations

import asyncio
import socket
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from moderation.config import SETTINGS, Settings
from moderation.db import POOL
from moderation.directory import SITES
from moderation.domain import Queued
from moderation.mail.outbox import queue_mail
from moderation.mail.relay import SmtpRelay
from tests.conftest import make_settings
from tests.support import eventually

SCHEDULE = (0.2, 0.4, 0.8)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Arrived:
    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    at: float  # time.monotonic()

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, _class=EmailMessage, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class MailServer:
    """Accepts everything unless `script` says otherwise: replies to RCPT, in order."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.arrived: list[Arrived] = []
        self.rcpt_replies: deque[str] = deque()
        # Replies for one recipient only (lower-cased address), whichever mail reaches it.
        self.replies_for: dict[str, deque[str]] = {}
        self.rcpt_seen = 0
        self.data_started = 0
        # Seconds to sit on a message's DATA before answering; such a message isn't recorded.
        self.data_delays: deque[float] = deque()
        self.data_replies: deque[str] = deque()
        self.logins: list[tuple[bytes, bytes]] = []
        self._server: asyncio.Server | None = None

    def script(self, *replies: str) -> None:
        self.rcpt_replies.extend(replies)

    def script_for(self, address: str, *replies: str) -> None:
        """Replies to RCPTs of `address` only: mails to others still in flight are not hit."""
        self.replies_for.setdefault(address.lower(), deque()).extend(replies)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        self.rcpt_seen += 1
        for_address = self.replies_for.get(address.lower())
        if for_address:
            reply = for_address.popleft()
            if not reply.startswith("250"):
                return reply
        elif self.rcpt_replies:
            reply = self.rcpt_replies.popleft()
            if not reply.startswith("250"):
                return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """AUTH is offered (without TLS: loopback only) and any login is accepted and kept."""
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.data_started += 1
        if self.data_delays:
            await asyncio.sleep(self.data_delays.popleft())
            return "451 4.3.0 Too slow"
        if self.data_replies:
            return self.data_replies.popleft()
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.arrived.append(
            Arrived(str(envelope.mail_from), tuple(envelope.rcpt_tos), content, time.monotonic())
        )
        return "250 Message accepted for delivery"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(
                self,
                hostname="mx.test",
                enable_SMTPUTF8=True,
                authenticator=self.authenticate,
                auth_require_tls=False,
                loop=loop,
            ),
            "127.0.0.1",
            self.port,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, count: int, within: float = 10.0) -> list[Arrived]:
        await eventually(lambda: len(self.arrived) >= count, within)
        return self.arrived


async def mails_settled(client: TestClient, within: float = 15.0) -> None:
    """Until no mail waits in the outbox: everything queued so far was sent or given up."""
    await eventually(
        lambda: client.app[POOL].fetchval(
            "SELECT NOT EXISTS (SELECT 1 FROM mail_outbox WHERE status = 'pending')"
        ),
        within,
    )


@pytest.fixture
async def smtp_server() -> AsyncIterator[MailServer]:
    server = MailServer(free_port())
    await server.start()
    yield server
    await server.stop()


def mail_settings(database_url: str, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp": SmtpRelay(host="127.0.0.1", port=port, starttls=False),
        "mail_from": "news@daily.example",
        "mail_retry_schedule": SCHEDULE,
        "smtp_timeout": 5.0,
        "mail_lease": 10.0,
        "mail_workers": True,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


async def queue_test_mail(
    client: TestClient,
    slug: str,
    to: str,
    *,
    name: str = "سارة",
    unsubscribe_url: str | None = "https://daily.example/unsubscribe?t=abc",
    **context: Any,
) -> Queued:
    """Queue a `test` mail in a transaction of its own, as a use case queues its mails."""
    site = await client.app[SITES].get(slug)
    async with client.app[POOL].acquire() as conn, conn.transaction():
        return await queue_mail(
            conn,
            client.app[SETTINGS],
            site,
            to,
            "test",
            {"name": name, **context},
            unsubscribe_url=unsubscribe_url,
        )


async def outbox(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT id, kind, recipient, message_id, status, attempts, next_attempt_at,
                  locked_until FROM mail_outbox ORDER BY id"""
    )


async def mail_attempts(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT mail_id, attempt, smtp_code, error FROM mail_attempts ORDER BY mail_id, attempt"
    )


async def settled(pool: asyncpg.Pool, count: int, within: float = 10.0) -> list[asyncpg.Record]:
    """Wait until there are `count` mails and none is pending."""

    async def done() -> list[asyncpg.Record] | None:
        rows = await outbox(pool)
        if len(rows) == count and all(r["status"] != "pending" for r in rows):
            return rows
        return None

    return await eventually(done, within, message=f"{count} mails were not settled")
