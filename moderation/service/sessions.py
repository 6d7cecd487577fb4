"""The console session use cases: a pasted token becomes a session (its cookie value shown once,
stored only hashed); signing out ends it and lets go of the session's claims."""

from __future__ import annotations

import hashlib
import secrets

import asyncpg

from .. import tokens
from ..domain import ConsoleSession
from ..errors import Unauthorized
from ..store import claims, sessions, sites

LIFETIME_SECONDS = 12 * 3600


def _hash(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def claimant(session: ConsoleSession) -> str:
    """Each console session holds its claims on its own (a bearer token: `token:{id}`)."""
    return f"session:{session.id}"


async def sign_in(pool: asyncpg.Pool, token: str) -> tuple[str, ConsoleSession]:
    """Exchange a token for (cookie value, session). Raises Unauthorized like bearer auth."""
    if not tokens.is_well_formed(token):
        raise Unauthorized("a valid token is required")
    async with pool.acquire() as conn:
        actor = await sites.actor_by_token_hash(conn, tokens.token_hash(token))
        if actor is None:
            raise Unauthorized("a valid token is required")
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        await sessions.insert(conn, actor, _hash(cookie), csrf, LIFETIME_SECONDS)
        session = await sessions.live_by_hash(conn, _hash(cookie))
    assert session is not None
    return cookie, session


async def by_cookie(pool: asyncpg.Pool, cookie: str) -> ConsoleSession | None:
    async with pool.acquire() as conn:
        return await sessions.live_by_hash(conn, _hash(cookie))


async def sign_out(pool: asyncpg.Pool, session: ConsoleSession) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await claims.release_all(conn, session.actor.site_id, claimant(session))
        await sessions.end(conn, session.id)
