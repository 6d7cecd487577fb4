"""moderation/db.py's pool on real PostgreSQL: connections go to waiters in the order they
asked, however busy the pool is."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from moderation.db import create_pool
from tests.conftest import make_settings


async def test_a_busy_pools_connections_go_in_the_order_they_were_asked_for(
    database_url: str,
) -> None:
    """Twenty tasks ask again a few loop turns after they are done (as requests arrive), two
    connections between them: under asyncpg's own queue one that asks just as a connection
    comes back takes it before the waiter woken for it (~120 of the 600 turns were served
    before someone who had asked earlier)."""
    settings = make_settings(database_url, pool_max_size=2)
    asked, served = itertools.count(), []

    async def busy(pool: object, task: int) -> None:
        for turn in range(30):
            for _ in range((task + turn) % 4):
                await asyncio.sleep(0)
            ticket = next(asked)
            async with pool.acquire() as conn:  # type: ignore[attr-defined]
                served.append(ticket)
                await conn.fetchval("SELECT 1")

    async with create_pool(settings, min_size=2) as pool:
        await asyncio.wait_for(
            asyncio.gather(*(busy(pool, task) for task in range(20))), timeout=30
        )
    assert len(served) == 600
    late = sum(1 for before, after in itertools.pairwise(served) if after < before)
    assert late == 0, f"{late} of 600 turns were served before someone who asked earlier"


async def test_a_connection_is_not_awaited_outside_a_block(database_url: str) -> None:
    async with create_pool(make_settings(database_url), min_size=1) as pool:
        with pytest.raises(TypeError, match="async with"):
            await pool.acquire()
        async with pool.acquire() as conn:  # the place was not taken
            assert await conn.fetchval("SELECT 1") == 1
