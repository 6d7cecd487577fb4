"""Store tests: each query of moderation/store/ run against the real PostgreSQL schema, on a
pooled connection made the way the app makes them (codecs included)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asyncpg.pool import PoolConnectionProxy

from moderation.db import create_pool
from moderation.domain import Actor, Comment, Role, Site, Status
from moderation.sealing import Place
from moderation.store import comments, sites
from moderation.store.comments import NewComment
from tests.conftest import TEST_KEYS as KEYS
from tests.conftest import make_settings


@pytest.fixture
async def conn(database_url: str, clean_database: None) -> AsyncIterator[PoolConnectionProxy]:
    async with (
        create_pool(make_settings(database_url), min_size=1) as pool,
        pool.acquire() as connection,
    ):
        yield connection


@pytest.fixture
async def site(conn: PoolConnectionProxy) -> Site:
    return await sites.insert_site(conn, "daily", "Daily", ["https://daily.example"])


async def moderator(conn: PoolConnectionProxy, site: Site, name: str = "moderator") -> Actor:
    token_hash = hashlib.sha256(name.encode()).digest()
    token_id = await sites.insert_token(conn, site.id, Role.MODERATOR, token_hash, name[:8])
    return Actor(site_id=site.id, site_slug=site.slug, role=Role.MODERATOR, token_id=token_id)


def email_hash(email: str) -> bytes:
    return hashlib.sha256(email.encode()).digest()


async def add_comment(conn: PoolConnectionProxy, site: Site, **overrides: Any) -> Comment:
    values: dict[str, Any] = {
        "site_id": site.id,
        "thread": "politics/2026/elections",
        "parent_id": None,
        "name": "ليلى",
        "email": "layla@example.com",
        "email_hash": email_hash("layla@example.com"),
        "website": None,
        "body_text": "تعليق مفيد",
        "body_html": "<p>تعليق مفيد</p>",
        "body_dir": "rtl",
        "name_dir": "rtl",
        "renderer_version": 1,
        "status": Status.PENDING,
        "reason": None,
        "client_ip": None,
        "request_id": None,
        "flags": [],
        "duplicate_key": b"key",
    }
    values.update(overrides)
    values["email"] = KEYS.seal(Place.COMMENT_EMAIL, site.id, values["email"])
    return await comments.insert(conn, NewComment(**values))
