"""Behind PgBouncer in transaction mode: what the settings are for, and that they are read."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from moderation.config import ConfigError, Settings
from moderation.db import create_pool
from tests.conftest import make_settings


async def run_queries(settings: Settings, count: int = 200) -> list[BaseException]:
    """Many different statements at once, over a pool of few connections."""
    async with create_pool(settings) as pool:
        results = await asyncio.gather(
            *(pool.fetchval(f"SELECT $1::int + {i % 7}", i) for i in range(count)),
            return_exceptions=True,
        )
    return [r for r in results if isinstance(r, BaseException)]


async def test_behind_pgbouncer_the_statement_cache_must_be_off(
    pgbouncer_server_url: str,
) -> None:
    # Named prepared statements live on one server connection; in transaction mode the next
    # transaction may run on another, where they don't exist (PgBouncer 1.18 can't follow them).
    cached = make_settings(pgbouncer_server_url, pool_max_size=4, statement_cache_size=100)
    failures = await run_queries(cached)
    assert failures, "PgBouncer kept named statements: is it really in transaction mode?"
    assert all(isinstance(f, asyncpg.InvalidSQLStatementNameError) for f in failures)

    uncached = make_settings(pgbouncer_server_url, pool_max_size=4, statement_cache_size=0)
    assert await run_queries(uncached) == []


def test_the_pooler_replica_and_cache_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://app:s3cret-pw@pgbouncer:6432/moderation",
            "MODERATION_DIRECT_DATABASE_URL": "postgresql://app:s3cret-pw@db:5432/moderation",
            "MODERATION_READ_DATABASE_URL": "postgresql://app:s3cret-pw@replica:5432/moderation",
            "MODERATION_DATABASE_STATEMENT_CACHE_SIZE": "0",
        }
    )
    assert settings.session_database_url == "postgresql://app:s3cret-pw@db:5432/moderation"
    assert settings.read_database_url == "postgresql://app:s3cret-pw@replica:5432/moderation"
    assert settings.statement_cache_size == 0
    assert "s3cret-pw" not in repr(settings)

    alone = Settings.from_env({"DATABASE_URL": "postgresql://app@db/moderation"})
    assert alone.session_database_url == "postgresql://app@db/moderation"
    assert alone.read_database_url is None
    assert alone.statement_cache_size == 100


@pytest.mark.parametrize("raw", ["-1", "many"])
def test_a_bad_statement_cache_size_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="MODERATION_DATABASE_STATEMENT_CACHE_SIZE"):
        Settings.from_env({"MODERATION_DATABASE_STATEMENT_CACHE_SIZE": raw})
