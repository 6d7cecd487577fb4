"""The one LISTEN connection: every channel heard, subscribers told when it is down and up,
and every channel LISTENed again after a reconnect."""

from __future__ import annotations

import asyncpg

from moderation.notifications import Listener, listening
from tests.support import eventually


class Recorder:
    def __init__(self) -> None:
        self.payloads: list[str] = []
        self.events: list[str] = []

    def notified(self, payload: str) -> None:
        self.payloads.append(payload)

    def connected(self) -> None:
        self.events.append("up")

    def disconnected(self) -> None:
        self.events.append("down")


async def notify(database_url: str, channel: str, payload: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("SELECT pg_notify($1, $2)", channel, payload)
    finally:
        await conn.close()


async def drop_listening_connections(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND query LIKE 'LISTEN%'
                  AND pid <> pg_backend_pid()"""
        )
    finally:
        await conn.close()


async def test_each_subscriber_hears_only_its_channel(database_url: str) -> None:
    threads, webhooks = Recorder(), Recorder()
    async with listening(Listener(database_url)) as listener:
        await listener.subscribe("test_threads", threads)
        await eventually(lambda: listener.connected)
        await listener.subscribe("test_webhooks", webhooks)  # a channel added while connected
        await notify(database_url, "test_threads", "1:politics/2026/انتخابات")
        await notify(database_url, "test_webhooks", "")
        await eventually(lambda: threads.payloads and webhooks.payloads)
    assert threads.payloads == ["1:politics/2026/انتخابات"]
    assert webhooks.payloads == [""]
    assert threads.events == webhooks.events == ["up", "down"]  # told, and told at shutdown


async def test_after_a_lost_connection_every_channel_is_heard_again(database_url: str) -> None:
    first, second = Recorder(), Recorder()
    async with listening(Listener(database_url, reconnect=0.05)) as listener:
        await listener.subscribe("test_first", first)
        await listener.subscribe("test_second", second)
        await eventually(lambda: first.events == ["up"])
        await drop_listening_connections(database_url)
        await eventually(lambda: first.events == ["up", "down", "up"], message="no reconnect")
        await notify(database_url, "test_first", "after")
        await notify(database_url, "test_second", "بعد")
        await eventually(lambda: first.payloads == ["after"] and second.payloads == ["بعد"])
    assert second.events == ["up", "down", "up", "down"]


async def test_a_database_that_is_not_there_is_retried_with_backoff(database_url: str) -> None:
    subscriber = Recorder()
    nowhere = database_url.rsplit("/", 1)[0] + "/no_such_database_here"
    async with listening(Listener(nowhere, reconnect=0.01, max_reconnect=0.02)) as listener:
        await listener.subscribe("test_nowhere", subscriber)
        assert not listener.connected
    assert subscriber.events == []  # never up, so never told it went down
