"""Authentication by bearer token or console session cookie: which site a request may act on,
and in which role."""

from __future__ import annotations

from aiohttp import web

from . import sessions, tokens
from .db import POOL
from .domain import Actor, Role
from .errors import Forbidden, NotFound, Unauthorized
from .store import sites
from .store.sessions import ConsoleSession

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
    if token is None and sessions.COOKIE in request.cookies:
        actor = await _session_actor(request)
    else:
        # The checksum refuses junk without a database round trip.
        if token is None or not tokens.is_well_formed(token):
            raise Unauthorized("a valid bearer token is required")
        async with request.app[POOL].acquire() as conn:
            actor = await sites.actor_by_token_hash(conn, tokens.token_hash(token))
    if actor is None:
        raise Unauthorized("a valid bearer token is required")
    if not actor.may(role):
        raise Forbidden(f"this needs an {role.value} token")
    request[ACTOR] = actor
    return actor


async def _session_actor(request: web.Request) -> Actor:
    """The console session's actor; a write must also carry the session's CSRF token."""
    session = await sessions.current(request.app[POOL], request)
    if session is None:
        raise Unauthorized("a valid bearer token is required")
    sessions.check_csrf(request, session)
    request[SESSION] = session
    return session.actor


def claimant(request: web.Request, actor: Actor) -> str:
    return sessions.claimant(actor, request.get(SESSION))


async def require_site(request: web.Request, role: Role = Role.MODERATOR) -> Actor:
    """As `require`, for routes under /v1/sites/{site}: another site's token sees a 404."""
    actor = await require(request, Role.MODERATOR)
    if actor.site_slug != request.match_info["site"]:
        raise NotFound("no such site")
    if not actor.may(role):
        raise Forbidden(f"this needs an {role.value} token")
    return actor
