"""moderation/store/sessions.py on real PostgreSQL."""

from __future__ import annotations

import hashlib

from asyncpg.pool import PoolConnectionProxy

from moderation.domain import Site
from moderation.store import sessions, sites
from tests.store.conftest import moderator


async def test_a_session_lives_until_ended_expired_or_its_token_revoked(
    conn: PoolConnectionProxy, site: Site
) -> None:
    actor = await moderator(conn, site)
    live, ended, expired = (hashlib.sha256(n.encode()).digest() for n in ("1", "2", "3"))
    session_id = await sessions.insert(conn, actor, live, "csrf-1", 3600)
    ended_id = await sessions.insert(conn, actor, ended, "csrf-2", 3600)
    await sessions.insert(conn, actor, expired, "csrf-3", 0)
    found = await sessions.live_by_hash(conn, live)
    assert found is not None
    assert (found.id, found.actor, found.csrf_token) == (session_id, actor, "csrf-1")
    await sessions.end(conn, ended_id)
    assert await sessions.live_by_hash(conn, ended) is None
    assert await sessions.live_by_hash(conn, expired) is None
    assert actor.token_id is not None
    await sites.revoke_token(conn, actor.token_id)
    assert await sessions.live_by_hash(conn, live) is None
