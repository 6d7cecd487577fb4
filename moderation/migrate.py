"""Forward-only migrations: numbered .sql files applied in order under an advisory lock."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import structlog

log = structlog.get_logger("moderation.migrate")

# Any constant works; it only has to be the same for every instance of the service.
_LOCK_KEY = 7_260_017_001


def sql_dir(override: Path | None = None) -> Path:
    """`sql/` beside the package in a checkout, `moderation/_sql` in an installed wheel."""
    if override is not None:
        return override
    packaged = Path(__file__).with_name("_sql")
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "sql"


async def migrate(conn: asyncpg.Connection, directory: Path | None = None) -> list[str]:
    """Apply pending migrations; return the names applied. Safe from many processes at once."""
    directory = sql_dir(directory)
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   name text PRIMARY KEY,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        for path in sorted(directory.glob("[0-9][0-9][0-9][0-9]_*.sql")):
            if path.name in applied:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.name)
            log.info("migration_applied", name=path.name)
            applied_now.append(path.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now
