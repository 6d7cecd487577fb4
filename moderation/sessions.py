"""Console sessions: a pasted token becomes an HttpOnly cookie, and cookie-authenticated writes
must carry the session's CSRF token from the console's own origin."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets

import asyncpg
from aiohttp import web

from . import tokens
from .config import SETTINGS
from .domain import Actor
from .errors import Forbidden, Unauthorized
from .identity import is_trusted
from .schemas import split_url
from .store import sessions, sites
from .store.sessions import ConsoleSession

COOKIE = "moderation_session"
CSRF_HEADER = "X-CSRF-Token"
LIFETIME_SECONDS = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _hash(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


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


async def current(pool: asyncpg.Pool, request: web.Request) -> ConsoleSession | None:
    cookie = request.cookies.get(COOKIE)
    # Ours are ASCII; a header's other bytes arrive as surrogates that cannot even be hashed.
    if not cookie or len(cookie) > 100 or not cookie.isascii():
        return None
    async with pool.acquire() as conn:
        return await sessions.live_by_hash(conn, _hash(cookie))


async def sign_out(pool: asyncpg.Pool, session: ConsoleSession) -> None:
    async with pool.acquire() as conn:
        await sessions.end(conn, session.id)


def set_cookie(request: web.Request, response: web.StreamResponse, cookie: str) -> None:
    # SameSite=Strict: the browser never sends it on a request another site starts.
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=LIFETIME_SECONDS,
        path="/",
        httponly=True,
        secure=is_https(request),
        samesite="Strict",
    )


def clear_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/", secure=is_https(request), samesite="Strict")


def is_https(request: web.Request) -> bool:
    """Served over https: directly, or by one of our trusted proxies that says so."""
    if request.secure:
        return True
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    if proto != "https" or request.remote is None:
        return False
    try:
        peer = ipaddress.ip_address(request.remote)
    except ValueError:
        return False
    return is_trusted(peer, request.app[SETTINGS].trusted_proxies)


def own_origin(request: web.Request) -> str:
    return f"{'https' if is_https(request) else 'http'}://{request.host}"


def check_origin(request: web.Request) -> None:
    """A browser names the page that started a write; refuse any other site's page."""
    origin = request.headers.get("Origin")
    if origin is None:
        referer = request.headers.get("Referer")
        if referer is None:
            return
        parts = split_url(referer)
        origin = "" if parts is None else f"{parts.scheme}://{parts.netloc}"
    if origin != own_origin(request):
        raise Forbidden("cross-site request refused")


def check_csrf(request: web.Request, session: ConsoleSession) -> None:
    if request.method in SAFE_METHODS:
        return
    check_origin(request)
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent.isascii() or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise Forbidden("a valid X-CSRF-Token header is required")


def claimant(actor: Actor, session: ConsoleSession | None) -> str:
    """Who holds a claim: each console session on its own, else the token."""
    return f"session:{session.id}" if session is not None else f"token:{actor.token_id}"
