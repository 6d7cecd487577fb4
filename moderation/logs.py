"""structlog configured once, and the middleware that gives every request an id, one log line
and its observation (the request metrics)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import secrets
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO

import structlog
from aiohttp import web

from .errors import CLIENT_CLOSED_REQUEST, Handler

log = structlog.get_logger("moderation")

REQUEST_ID_HEADER = "X-Request-ID"
_ID_PREFIX = secrets.token_hex(8)
_ID_COUNTER = itertools.count(1)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Personal data and secrets never reach a log line, whatever a call site passes.
_REDACTED_KEYS = frozenset(
    {"email", "ip", "client_ip", "token", "secret", "authorization", "password"}
)


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in _REDACTED_KEYS.intersection(event):
        event[key] = "[redacted]"
    return event


def configure_logging(*, as_json: bool, level: str = "INFO", stream: TextIO | None = None) -> None:
    """structlog for our own lines, and the same processors for the standard library's loggers
    (asyncpg, aiohttp), so in production every line on `stream` is one JSON object.
    Tracebacks never carry local variables: a frame's locals hold request payloads (emails)
    and settings (the database password)."""
    global _request_lines
    stream = stream or sys.stdout
    number = logging.getLevelNamesMapping()[level]
    _request_lines = number <= logging.INFO
    exceptions: list[Any] = [
        structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        )
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    tail = [*exceptions, renderer] if as_json else [renderer]
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact,
    ]
    structlog.configure(
        processors=[*shared, *tail],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.WriteLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(number)


def request_id_of(request: web.Request) -> str:
    candidate = request.headers.get(REQUEST_ID_HEADER)
    if candidate and _REQUEST_ID.match(candidate):
        return candidate
    # Unique without a syscall per request: a random prefix per process and a counter.
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def route_of(request: web.Request) -> str:
    """The route template (`/v1/comments/{comment_id}`), not the path: ids stay out of labels."""
    route = request.match_info.route
    resource = route.resource
    return resource.canonical if resource is not None else "unmatched"


REQUEST_ID = web.RequestKey("moderation.request_id", str)
# Called once per answered request with (route, method, status, seconds): the metrics. One
# middleware times the request for both, as every middleware layer costs each request.
OBSERVE_REQUEST: web.AppKey[Callable[[str, str, int, float], None]] = web.AppKey(
    "moderation.observe_request"
)
# Whether the per-request line is logged at all (INFO and below): above, its fields are not even
# computed. configure_logging sets it; unconfigured (tests capturing logs), it is on.
_request_lines = True


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
    except asyncio.CancelledError:
        # The connection went away (or the server is stopping): nobody is left to answer.
        status = CLIENT_CLOSED_REQUEST
        log.info("client_disconnected")
        raise
    finally:
        seconds = time.perf_counter() - started
        route = route_of(request)
        observe = request.app.get(OBSERVE_REQUEST)
        if observe is not None:
            observe(route, request.method, status, seconds)
        if _request_lines:
            log.info(
                "request",
                method=request.method,
                route=route,
                status=status,
                duration_ms=round(seconds * 1000, 2),
            )
        structlog.contextvars.reset_contextvars(**bound)
