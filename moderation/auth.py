"""Authentication by bearer token or console session cookie: which site a request may act on,
and in which role. The console's cookie is HttpOnly and SameSite=Strict, and a write with it
must carry the session's CSRF token from the console's own origin."""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web

from . import tokens
from .config import SETTINGS
from .db import POOL
from .domain import Actor, ConsoleSession, Role
from .errors import Forbidden, NotFound, Unauthorized
from .identity import is_trusted
from .schemas import split_url
from .service import sessions
from .store import sites
from .tokencache import TOKENS

COOKIE = "moderation_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

ACTOR = web.RequestKey("moderation.actor", Actor)
# Set when the request was authenticated by the console's session cookie.
SESSION = web.RequestKey("moderation.session", ConsoleSession)


def _bearer(request: web.Request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


async def require(request: web.Request, role: Role = Role.MODERATOR) -> Actor:
    """The token's actor, or 401. The same answer for a missing, malformed, unknown or revoked
    token, so none can be told apart. A moderator acting where admin is needed gets 403.
    Without a bearer token, the console's session cookie (and, for writes, its CSRF token)."""
    token = _bearer(request)
    actor: Actor | None
    if token is None and COOKIE in request.cookies:
        actor = await _session_actor(request)
    else:
        actor = await _token_actor(request, token)
    if actor is None:
        raise Unauthorized("a valid bearer token is required")
    if not actor.may(role):
        raise Forbidden(f"this needs an {role.value} token")
    request[ACTOR] = actor
    return actor


async def _token_actor(request: web.Request, token: str | None) -> Actor | None:
    # Only ours can be hashed (ASCII, one length); the checksum refuses the rest of the junk
    # without a database round trip, and a token seen before needs none (tokencache.py).
    if token is None or len(token) != tokens.TOKEN_LENGTH or not token.isascii():
        return None
    token_hash = tokens.token_hash(token)
    cache = request.app[TOKENS]
    actor = cache.get(token_hash)
    if actor is not None or not tokens.is_well_formed(token):
        return actor
    generation = cache.generation
    async with request.app[POOL].acquire() as conn:
        actor = await sites.actor_by_token_hash(conn, token_hash)
    if actor is not None:
        cache.put(token_hash, actor, generation)
    return actor


async def _session_actor(request: web.Request) -> Actor:
    """The console session's actor; a write must also carry the session's CSRF token."""
    session = await current_session(request)
    if session is None:
        raise Unauthorized("a valid bearer token is required")
    check_csrf(request, session)
    request[SESSION] = session
    return session.actor


def claimant(request: web.Request, actor: Actor) -> str:
    """Who holds a claim: each console session on its own, else the token."""
    session = request.get(SESSION)
    return sessions.claimant(session) if session is not None else f"token:{actor.token_id}"


async def current_session(request: web.Request) -> ConsoleSession | None:
    cookie = request.cookies.get(COOKIE)
    # Ours are ASCII; a header's other bytes arrive as surrogates that cannot even be hashed.
    if not cookie or len(cookie) > 100 or not cookie.isascii():
        return None
    return await sessions.by_cookie(request.app[POOL], cookie)


async def require_site(request: web.Request, role: Role = Role.MODERATOR) -> Actor:
    """As `require`, for routes under /v1/sites/{site}: another site's token sees a 404."""
    actor = await require(request, Role.MODERATOR)
    if actor.site_slug != request.match_info["site"]:
        raise NotFound("no such site")
    if not actor.may(role):
        raise Forbidden(f"this needs an {role.value} token")
    return actor


def set_cookie(request: web.Request, response: web.StreamResponse, cookie: str) -> None:
    # SameSite=Strict: the browser never sends it on a request another site starts.
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=sessions.LIFETIME_SECONDS,
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
