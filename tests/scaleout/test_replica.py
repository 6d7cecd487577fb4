"""Public thread reads on a real streaming replica (pg_basebackup -R of a primary started for
these tests): reads go there, and its lag never shows a taken-down comment."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation.app import create_app
from moderation.config import Settings
from moderation.migrate import migrate
from moderation.replica import READS, lsn_value
from moderation.threadcache import THREADS
from tests import servers
from tests.conftest import (
    SiteFixture,
    approve,
    make_settings,
    make_site,
    post_comment,
    with_database,
)
from tests.support import eventually

# A take-down must leave every instance's public reads within this, however far the replica lags.
STALENESS_BOUND_SECONDS = 1.0
CATCH_UP_SECONDS = 20.0
THREAD = "سياسة/2026/الانتخابات"
NAME = "moderation_replica"


@pytest.fixture(scope="module")
def replication() -> Iterator[tuple[str, str]]:
    """(primary database URL, the same database on the replica), migrated and replayed."""
    with servers.primary_with_replica() as (primary_server, replica_server):

        async def prepare() -> None:
            admin = await asyncpg.connect(primary_server)
            try:
                await admin.execute(f'CREATE DATABASE "{NAME}"')
            finally:
                await admin.close()
            conn = await asyncpg.connect(with_database(primary_server, NAME))
            try:
                await migrate(conn)
            finally:
                await conn.close()
            await caught_up(with_database(primary_server, NAME), replica_server)

        asyncio.run(prepare())
        yield with_database(primary_server, NAME), with_database(replica_server, NAME)


async def caught_up(primary_url: str, replica_url: str) -> None:
    """Wait (bounded) until the replica has replayed everything the primary wrote so far."""
    primary = await asyncpg.connect(primary_url)
    try:
        target = lsn_value(await primary.fetchval("SELECT pg_current_wal_insert_lsn()::text"))
    finally:
        await primary.close()

    async def replayed_it() -> bool:
        try:
            replica = await asyncpg.connect(replica_url)
        except (OSError, asyncpg.InvalidCatalogNameError):
            return False
        try:
            replayed = await replica.fetchval("SELECT pg_last_wal_replay_lsn()::text")
        finally:
            await replica.close()
        return replayed is not None and lsn_value(replayed) >= target

    await eventually(
        replayed_it, CATCH_UP_SECONDS, interval=0.05, message="the replica did not catch up"
    )


@pytest.fixture
def replica_settings(replication: tuple[str, str]) -> Settings:
    primary, replica = replication
    return make_settings(primary, read_database_url=replica)


@pytest.fixture
async def replica_conn(replication: tuple[str, str]) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(replication[1])
    try:
        yield conn
    finally:
        if await conn.fetchval("SELECT pg_is_wal_replay_paused()"):
            await conn.execute("SELECT pg_wal_replay_resume()")
        await conn.close()


@pytest.fixture
async def primary_client(
    aiohttp_client: Any, replica_settings: Settings, replication: tuple[str, str]
) -> TestClient:
    conn = await asyncpg.connect(replication[0])
    try:
        await conn.execute("TRUNCATE sites RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
    return await aiohttp_client(create_app(replica_settings))


async def read_ids(client: TestClient, site: SiteFixture, **params: Any) -> list[str]:
    response = await client.get(
        f"/v1/sites/{site.slug}/comments", params={"thread": THREAD, **params}
    )
    assert response.status == 200, await response.text()
    return [item["id"] for item in (await response.json())["items"]]


async def test_public_reads_come_from_the_replica(
    primary_client: TestClient, replica_conn: asyncpg.Connection, replication: tuple[str, str]
) -> None:
    site = await make_site(primary_client, "daily")
    first = await post_comment(primary_client, site, thread=THREAD)
    await approve(primary_client, site, first["id"])
    await caught_up(*replication)
    assert await read_ids(primary_client, site) == [first["id"]]

    # Approved on the primary behind the service's back while the replica stands still: a
    # read that came from the primary would show it.
    second = await post_comment(primary_client, site, thread=THREAD, body="Second, in English.")
    await replica_conn.execute("SELECT pg_wal_replay_pause()")
    primary = await asyncpg.connect(replication[0])
    try:
        await primary.execute(
            "UPDATE comments SET status = 'approved', decided_at = now() WHERE id = $1",
            int(second["id"]),
        )
    finally:
        await primary.close()
    assert await read_ids(primary_client, site, limit=7) == [first["id"]]

    await replica_conn.execute("SELECT pg_wal_replay_resume()")
    await caught_up(*replication)
    assert await read_ids(primary_client, site, limit=8) == [first["id"], second["id"]]


async def test_a_take_down_leaves_every_instance_within_the_bound_while_the_replica_is_paused(
    aiohttp_client: Any,
    primary_client: TestClient,
    replica_settings: Settings,
    replica_conn: asyncpg.Connection,
    replication: tuple[str, str],
) -> None:
    other = await aiohttp_client(create_app(replica_settings))
    site = await make_site(primary_client, "daily")
    comment = await post_comment(primary_client, site, thread=THREAD)
    await approve(primary_client, site, comment["id"])
    await caught_up(*replication)
    for client in (primary_client, other):  # both instances now hold the page, from the replica
        assert await read_ids(client, site) == [comment["id"]]
    replica_reads = other.app[READS].replica_reads
    assert replica_reads >= 1

    await replica_conn.execute("SELECT pg_wal_replay_pause()")
    response = await primary_client.post(
        f"/v1/comments/{comment['id']}/reject",
        json={"reason": "abusive", "expected_status": "approved"},
        headers=site.auth(),
    )
    assert response.status == 200, await response.text()
    taken_down = time.monotonic()
    assert await read_ids(primary_client, site) == []

    async def gone() -> bool:
        return not await read_ids(other, site)

    await eventually(
        gone,
        STALENESS_BOUND_SECONDS,
        interval=0.005,
        message="the other instance still shows the taken-down comment",
    )
    print(f"take-down left the other instance after {time.monotonic() - taken_down:.4f}s")
    # The replica really is behind: it still has the comment approved.
    status = await replica_conn.fetchval(
        "SELECT status FROM comments WHERE id = $1", int(comment["id"])
    )
    assert status == "approved"
    assert await read_ids(other, site, limit=3) == []  # another page of it, built afresh

    await replica_conn.execute("SELECT pg_wal_replay_resume()")
    await caught_up(*replication)
    reads_before = other.app[READS].replica_reads
    assert await read_ids(other, site, limit=4) == []
    assert other.app[READS].replica_reads == reads_before + 1  # back on the replica


async def test_while_changes_cannot_be_heard_reads_go_to_the_primary(
    primary_client: TestClient, replica_conn: asyncpg.Connection, replication: tuple[str, str]
) -> None:
    site = await make_site(primary_client, "daily")
    comment = await post_comment(primary_client, site, thread=THREAD, body="بلا إشعار")
    await caught_up(*replication)
    await replica_conn.execute("SELECT pg_wal_replay_pause()")
    primary = await asyncpg.connect(replication[0])
    try:
        # The thread listener's connection drops; a change made now is announced to nobody.
        await primary.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND query LIKE 'LISTEN%'"""
        )
        cache = primary_client.app[THREADS]
        await eventually(
            lambda: not cache.listening, message="the listener did not notice its connection drop"
        )
        await primary.execute(
            "UPDATE comments SET status = 'approved', decided_at = now() WHERE id = $1",
            int(comment["id"]),
        )
    finally:
        await primary.close()
    # The replica (paused) has not got it; the primary has, and is asked.
    assert await read_ids(primary_client, site, limit=9) == [comment["id"]]


async def test_without_a_replica_answering_reads_fall_back_to_the_primary(
    aiohttp_client: Any, database_url: str, clean_database: None
) -> None:
    nowhere = servers.with_address(database_url, "127.0.0.1", servers.free_port())
    client = await aiohttp_client(
        create_app(make_settings(database_url, read_database_url=nowhere))
    )
    site = await make_site(client, "weekly")
    comment = await post_comment(client, site, thread=THREAD, body="The replica is down.")
    await approve(client, site, comment["id"])
    # Until then every read goes to the primary anyway.
    await eventually(
        lambda: client.app[THREADS].listening, message="the thread listener did not start"
    )
    for limit in (10, 11):  # the second read does not try the replica again
        assert await read_ids(client, site, limit=limit) == [comment["id"]]
    assert client.app[READS].replica_reads == 0
    assert client.app[READS].primary_reads == 2
