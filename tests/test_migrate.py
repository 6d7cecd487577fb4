"""Migrations: numbered files applied once, in order, safely from several processes at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import zipfile
from pathlib import Path

import asyncpg

from moderation.migrate import migrate, sql_dir


async def test_concurrent_migrations_apply_each_file_exactly_once(scratch_database: str) -> None:
    url = scratch_database
    connections = [await asyncpg.connect(url) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in connections))
        applied = sorted(name for result in results for name in result)
        files = sorted(p.name for p in sql_dir().glob("[0-9][0-9][0-9][0-9]_*.sql"))
        assert applied == files
        assert await migrate(connections[0]) == []
        recorded = await connections[0].fetch("SELECT name FROM schema_migrations ORDER BY name")
        assert [r["name"] for r in recorded] == files
    finally:
        for c in connections:
            await c.close()


def test_migration_files_are_numbered_without_gaps() -> None:
    names = sorted(p.name for p in sql_dir().glob("*.sql"))
    assert [int(n[:4]) for n in names] == list(range(1, len(names) + 1))


def test_an_installed_wheel_carries_the_migrations(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
    )
    wheel = next(tmp_path.glob("moderation-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    prefix = "moderation/_sql/"
    packaged = sorted(n.removeprefix(prefix) for n in names if n.startswith(prefix))
    # The migrations, and sql/citus/distribute.sql for those who shard.
    sql = root / "sql"
    assert packaged == sorted(p.relative_to(sql).as_posix() for p in sql.rglob("*.sql"))
    assert "moderation/openapi.json" in names
    assert "moderation/transparency/statement.schema.json" in names


async def test_opaque_ids_continue_after_ids_made_before_them(
    scratch_database: str, tmp_path: Path
) -> None:
    older = sorted(sql_dir().glob("[0-9][0-9][0-9][0-9]_*.sql"))
    before = [p for p in older if p.name < "0007"]
    for path in before:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    conn = await asyncpg.connect(scratch_database)
    try:
        await migrate(conn, tmp_path)
        insert = """INSERT INTO comments (site_id, thread, name, email, email_hash, body_text,
                                          body_html, body_dir, name_dir, renderer_version)
                    VALUES ($1, 't', 'ليلى', 'l@example.com', $2, 'نص', '<p>نص</p>', 'rtl',
                            'rtl', 1)
                    RETURNING id"""
        site_id = await conn.fetchval(
            "INSERT INTO sites (slug, name) VALUES ('daily', 'Daily') RETURNING id"
        )
        old_id = await conn.fetchval(insert, site_id, b"\0" * 32)
        assert old_id == 1
        await migrate(conn)
        new_ids = [await conn.fetchval(insert, site_id, b"\0" * 32) for _ in range(5)]
        assert all(2**52 <= i < 2**53 for i in new_ids)
        assert len(set(new_ids)) == 5 and old_id not in new_ids
    finally:
        await conn.close()
