"""Behind PgBouncer in transaction mode: what the settings are for, and that they are read."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from moderation.config import ConfigError, Settings
from moderation.db import create_pool
from moderation.migrate import sql_dir
from tests import servers
from tests.conftest import make_settings
from tests.test_cli import run_cli


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


def test_migrate_takes_its_session_lock_on_the_direct_url_not_through_the_pooler(
    cli_env: dict[str, str], pgbouncer_server_url: str, scratch_database: str
) -> None:
    """The migrations' advisory lock is a session lock: through a transaction pooler its unlock
    could land on another server connection and leave it held. `migrate` uses the direct URL:
    it succeeds even with nothing listening where DATABASE_URL points."""
    nowhere = servers.with_address(scratch_database, "127.0.0.1", servers.free_port())
    env = {**cli_env, "DATABASE_URL": nowhere, "MODERATION_DIRECT_DATABASE_URL": scratch_database}
    migrated = run_cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr

    async def locks_and_migrations() -> tuple[int, int]:
        conn = await asyncpg.connect(scratch_database)
        try:
            # This database's only: other tests on the same server take advisory locks too.
            held = await conn.fetchval(
                """SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                    WHERE l.locktype = 'advisory' AND d.datname = current_database()"""
            )
            migrations = await conn.fetchval("SELECT count(*) FROM schema_migrations")
            return held, migrations
        finally:
            await conn.close()

    held, migrations = asyncio.run(locks_and_migrations())
    assert held == 0
    assert migrations == len(list(sql_dir().glob("[0-9][0-9][0-9][0-9]_*.sql")))
    # Site and token commands go through the pooler, with the statement cache off.
    env["DATABASE_URL"] = servers.with_address(
        scratch_database, *servers.address(pgbouncer_server_url)
    )
    env["MODERATION_DATABASE_STATEMENT_CACHE_SIZE"] = "0"
    assert run_cli("site", "create", "al-akhbar", "--name", "الأخبار", env=env).returncode == 0
    token = run_cli("token", "create", "--site", "al-akhbar", "--role", "moderator", env=env)
    assert token.returncode == 0 and token.stdout.startswith("cmod_")
