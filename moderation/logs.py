"""structlog configured once, and the middleware that gives every request an id and one log line."""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from aiohttp import web

log = structlog.get_logger("moderation")

REQUEST_ID_HEADER = "X-Request-ID"
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(1)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Personal data and secrets never reach a log line, whatever a call site passes.
_REDACTED_KEYS = frozenset(
    {"email", "ip", "client_ip", "token", "secret", "authorization", "password"}
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in _REDACTED_KEYS.intersection(event):
        event[key] = "[redacted]"
    return event


def configure_logging(*, as_json: bool, level: str = "INFO") -> None:
    tail: list[Any] = (
        [structlog.processors.dict_tracebacks, structlog.processors.JSONRenderer()]
        if as_json
        else [structlog.dev.ConsoleRenderer()]
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            *tail,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level]),
        logger_factory=structlog.WriteLoggerFactory(),
        cache_logger_on_first_use=True,
    )


def request_id_of(request: web.Request) -> str:
    candidate = request.headers.get(REQUEST_ID_HEADER, "")
    if _REQUEST_ID.match(candidate):
        return candidate
    # Unique without a syscall per request: a random prefix per process and a counter.
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def route_of(request: web.Request) -> str:
    """The route template (`/v1/comments/{comment_id}`), not the path: ids stay out of labels."""
    route = request.match_info.route
    resource = route.resource
    return resource.canonical if resource is not None else "unmatched"


REQUEST_ID = web.RequestKey("moderation.request_id", str)


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request_id_of(request)
    request[REQUEST_ID] = request_id
    started = time.perf_counter()
    status = 500
    # bind/reset directly: bound_contextvars is a generator-based context manager, and this
    # runs on every request.
    bound = structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        response = await handler(request)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        log.info(
            "request",
            method=request.method,
            route=route_of(request),
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        structlog.contextvars.reset_contextvars(**bound)
