"""The moderator console's pages and its session, the comment widget, and the demo article.

Pages are plain files under moderation/static/, served with a strict Content-Security-Policy:
no inline script or style, nothing from another origin, never framed."""

from __future__ import annotations

import functools
from importlib import resources

import structlog
from aiohttp import web

from .. import auth, service
from ..auth import SESSION, require
from ..config import SETTINGS
from ..db import POOL
from ..domain import ConsoleSession
from ..errors import NotFound, Unauthorized
from ..schemas import FORM_TYPES, read_payload
from ..views import iso, json_response

log = structlog.get_logger("moderation.console")
routes = web.RouteTableDef()
# Served only with Settings.development (make run): the demo article and its sign-in link.
demo_routes = web.RouteTableDef()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
}
CONSOLE_ASSETS = frozenset({"console.js", "highlight.js", "console.css"})
# /demo/{name} → file: the stylesheet, and the same article page in English.
DEMO_FILES = {"demo.css": "demo.css", "en": "demo-en.html"}
DEMO_TOKENS_FILE = "demo-tokens"


@functools.cache
def _static(name: str) -> bytes:
    return resources.files("moderation").joinpath("static", name).read_bytes()


def _file(name: str, headers: dict[str, str] | None = None) -> web.Response:
    suffix = name[name.rfind(".") :]
    return web.Response(
        body=_static(name),
        content_type=CONTENT_TYPES[suffix],
        charset="utf-8",
        headers=headers or PAGE_HEADERS,
    )


@routes.get("/moderate/")
async def console_page(request: web.Request) -> web.Response:
    return _file("console.html")


@routes.get("/embed.js")
async def embed_script(request: web.Request) -> web.Response:
    # Loaded by article pages on other origins: a script tag needs no CORS, but a site that
    # sends Cross-Origin-Embedder-Policy needs this resource policy to load it.
    return _file(
        "embed.js",
        {
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
            "Cache-Control": "public, max-age=300",
        },
    )


def _session_view(session: ConsoleSession) -> dict[str, str]:
    return {
        "site": session.actor.site_slug,
        "role": session.actor.role.value,
        "csrf_token": session.csrf_token,
        "expires_at": iso(session.expires_at),
    }


@routes.get("/moderate/session")
async def session_info(request: web.Request) -> web.Response:
    """The signed-in console's site, role and CSRF token (never the API token)."""
    session = await auth.current_session(request)
    if session is None:
        raise Unauthorized("not signed in")
    return json_response(
        _session_view(session), headers=PAGE_HEADERS | {"Cache-Control": "no-store"}
    )


@routes.post("/moderate/session")
async def sign_in(request: web.Request) -> web.Response:
    auth.check_origin(request)
    is_form = request.content_type in FORM_TYPES
    payload = await read_payload(request, allow_form=True)
    token = payload.get("token")
    if not isinstance(token, str):
        raise Unauthorized("a valid token is required")
    cookie, session = await service.sessions.sign_in(request.app[POOL], token.strip())
    log.info("console_signed_in", session_id=session.id, token_id=session.actor.token_id)
    response: web.Response
    if is_form:  # the sign-in form without JavaScript
        response = web.Response(status=303, headers={"Location": "/moderate/"})
    else:
        response = json_response(
            _session_view(session), headers=PAGE_HEADERS | {"Cache-Control": "no-store"}
        )
    auth.set_cookie(request, response, cookie)
    return response


@routes.delete("/moderate/session")
async def sign_out(request: web.Request) -> web.Response:
    await require(request)
    session = request.get(SESSION)
    if session is None:
        raise Unauthorized("not signed in")
    await service.sessions.sign_out(request.app[POOL], session)
    response = web.Response(status=204)
    auth.clear_cookie(request, response)
    return response


# After /moderate/session, which it would otherwise shadow.
@routes.get("/moderate/{asset}")
async def console_asset(request: web.Request) -> web.Response:
    name = request.match_info["asset"]
    if name not in CONSOLE_ASSETS:
        raise NotFound("no such file")
    return _file(name)


@demo_routes.get("/demo/")
async def demo_article(request: web.Request) -> web.Response:
    return _file("demo.html")


@demo_routes.get("/demo/{asset}")
async def demo_asset(request: web.Request) -> web.Response:
    name = request.match_info["asset"]
    if name == "sign-in":
        return await _demo_sign_in(request)
    if name not in DEMO_FILES:
        raise NotFound("no such file")
    return _file(DEMO_FILES[name])


async def _demo_sign_in(request: web.Request) -> web.Response:
    """Development only: open the console signed in with the demo moderator token."""
    path = request.app[SETTINGS].data_dir / DEMO_TOKENS_FILE
    if not path.exists():
        raise NotFound("no demo token here: `make run` on an empty embedded database makes one")
    moderator = path.read_text(encoding="ascii").split()[0]
    cookie, _ = await service.sessions.sign_in(request.app[POOL], moderator)
    response = web.Response(status=303, headers={"Location": "/moderate/"})
    auth.set_cookie(request, response, cookie)
    return response
