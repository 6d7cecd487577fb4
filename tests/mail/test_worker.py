"""`moderation worker` sends mail too: it survives nothing of a kill -9 but its lease (the mail is
sent again once that expires), and on SIGTERM it stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.db import POOL
from tests.conftest import TEST_SECRET, SiteFixture
from tests.mail.conftest import (
    MailServer,
    mail_attempts,
    mail_settings,
    outbox,
    queue_test_mail,
    settled,
)
from tests.support import eventually


def worker_env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODERATION_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url,
        MODERATION_SECRET_KEY=TEST_SECRET.decode(),
        MODERATION_SMTP_URL=f"smtp://mailer:hunter2-secret@127.0.0.1:{port}?starttls=false",
        MODERATION_MAIL_FROM="news@daily.example",
        MODERATION_SMTP_TIMEOUT="1",
        MODERATION_MAIL_LEASE_SECONDS="2",
    )
    env.update(extra)
    return env


async def start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "moderation",
        "worker",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_worker_killed_mid_send_leaves_a_lease_that_expires_and_the_mail_goes_again(
    aiohttp_client: Any,
    client: TestClient,
    site: SiteFixture,
    smtp_server: MailServer,
    database_url: str,
) -> None:
    smtp_server.data_delays.append(30.0)  # the worker dies while the server sits on DATA
    await queue_test_mail(client, site.slug, "sara@example.com")
    worker = await start_worker(
        worker_env(
            database_url,
            smtp_server.port,
            MODERATION_SMTP_TIMEOUT="3",
            MODERATION_MAIL_LEASE_SECONDS="4",
        )
    )
    try:
        # Once the server sits on this DATA: a kill at RCPT could come before DATA is sent.
        await eventually(lambda: smtp_server.data_started >= 1, 20)
    finally:
        worker.kill()  # SIGKILL (well inside its 3 s SMTP timeout): nothing recorded or released
        await worker.communicate()
    [row] = await outbox(client.app[POOL])
    assert (row["status"], row["attempts"]) == ("pending", 1) and row["locked_until"]

    await aiohttp_client(create_app(mail_settings(database_url, smtp_server.port)))
    [arrived] = await smtp_server.wait_for(1, within=15)
    [row] = await settled(client.app[POOL], 1)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert arrived.message["Message-ID"] == row["message_id"]
    assert [a["attempt"] for a in await mail_attempts(client.app[POOL])] == [2]


async def test_a_worker_sends_mail_and_stops_cleanly_on_sigterm(
    client: TestClient, site: SiteFixture, smtp_server: MailServer, database_url: str
) -> None:
    await queue_test_mail(client, site.slug, "sara@example.com")
    worker = await start_worker(worker_env(database_url, smtp_server.port))
    try:
        await smtp_server.wait_for(1, within=20)
        await settled(client.app[POOL], 1)
        worker.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            out, err = await worker.communicate()
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.communicate()
    assert worker.returncode == 0, err.decode()
    assert smtp_server.logins == [(b"mailer", b"hunter2-secret")]
    assert b"mail_sender_stopped" in out and b"webhook_dispatcher_stopped" in out
    assert b"hunter2" not in out + err and b"sara@example.com" not in out + err
