"""One error vocabulary (RFC 9457 problem details) and the one middleware that renders it."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import asyncpg
import structlog
from aiohttp import web

from . import jsontext

log = structlog.get_logger("moderation.errors")

PROBLEM_JSON = "application/problem+json"
_PROBLEM_CONTENT_TYPE = f"{PROBLEM_JSON}; charset=utf-8"
# nginx's status for "client closed request": logged, never sent.
CLIENT_CLOSED_REQUEST = 499

# What a middleware wraps.
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Problem(Exception):
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    slug: ClassVar[str] = "internal"
    # After the answer, close the connection instead of keeping it alive for another request.
    closes_connection: ClassVar[bool] = False

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extensions = extensions
        self.headers: dict[str, str] = {}

    @property
    def type(self) -> str:
        return f"/problems/{self.slug}"


class BadRequest(Problem):
    status, title, slug = 400, "Bad Request", "bad-request"


class Unauthorized(Problem):
    status, title, slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, **extensions)
        self.headers["WWW-Authenticate"] = 'Bearer realm="moderation"'


class Forbidden(Problem):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(Problem):
    status, title, slug = 404, "Not Found", "not-found"


class Conflict(Problem):
    status, title, slug = 409, "Conflict", "conflict"


class Gone(Problem):
    status, title, slug = 410, "Gone", "gone"


class AlreadyDecided(Conflict):
    slug = "already-decided"

    def __init__(self, current: str) -> None:
        super().__init__(f"the comment is already {current}", current_status=current)


class RequestTimeout(Problem):
    status, title, slug = 408, "Request Timeout", "request-timeout"
    closes_connection = True


class UnsupportedMediaType(Problem):
    status, title, slug = 415, "Unsupported Media Type", "unsupported-media-type"


class PayloadTooLarge(Problem):
    status, title, slug = 413, "Payload Too Large", "payload-too-large"


class TooManyRequests(Problem):
    status, title, slug = 429, "Too Many Requests", "rate-limited"

    def __init__(self, wait: float, detail: str | None = None) -> None:
        retry_after = max(1, math.ceil(wait))
        super().__init__(detail or "too many comments; try again later", retry_after=retry_after)
        self.headers["Retry-After"] = str(retry_after)
        self.wait = wait


class ServiceUnavailable(Problem):
    status, title, slug = 503, "Service Unavailable", "unavailable"


class FieldError(Exception):
    """One offending field; collected into an `Invalid` problem."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Invalid(Problem):
    status, title, slug = 422, "Unprocessable Content", "invalid"

    def __init__(self, errors: list[FieldError]) -> None:
        fields = ", ".join(dict.fromkeys(e.field for e in errors))
        super().__init__(
            f"invalid fields: {fields}",
            errors=[{"field": e.field, "message": e.message} for e in errors],
        )

    @classmethod
    def one(cls, field: str, message: str) -> Invalid:
        return cls([FieldError(field, message)])


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> web.Response:
    body: dict[str, Any] = {"type": type, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extensions)
    try:
        payload = jsontext.dumps_bytes(body)
    except UnicodeEncodeError:  # a lone surrogate echoed from the input: escaped, as JSON allows
        payload = json.dumps(body).encode()
    # The header as text: content_type= and charset= parse and rebuild it on every answer.
    response = web.Response(body=payload, status=status, headers=headers)
    response.headers["Content-Type"] = _PROBLEM_CONTENT_TYPE
    return response


def problem_answer(p: Problem) -> web.Response:
    """The answer to a Problem: what problem_middleware makes of a raised one, and what a
    handler can return without raising it (a flood's 429s, answered by the thousand)."""
    response = problem_response(
        p.status, p.title, p.detail, type=p.type, headers=p.headers, **p.extensions
    )
    if p.closes_connection:
        response.force_close()
    return response


# The database going away must read as "try again" (503), never as our bug (500).
DATABASE_UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,
    asyncpg.exceptions.OperatorInterventionError,
)
# Text PostgreSQL cannot store; input cleaning should have removed it, this is the backstop.
UNSTORABLE_TEXT = (
    asyncpg.CharacterNotInRepertoireError,
    asyncpg.UntranslatableCharacterError,
    asyncpg.DataError,
)


def client_went_away(request: web.Request) -> bool:
    """Whether this request's connection is gone: aiohttp then fails body reads with
    ConnectionResetError, which must not read as the database resetting ours."""
    transport = request.transport
    return transport is None or transport.is_closing()


def _unavailable() -> web.Response:
    return problem_response(
        503,
        "Service Unavailable",
        "the database is unavailable; try again shortly",
        type="/problems/unavailable",
        headers={"Retry-After": "5"},
    )


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Problem as p:
        return problem_answer(p)
    except web.HTTPRedirection:
        raise
    except web.HTTPRequestEntityTooLarge:
        return problem_response(413, "Payload Too Large", "the request body is over 64 KiB")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k in ("Allow",)}
        return problem_response(exc.status, exc.reason, headers=headers)
    except ConnectionResetError:
        if not client_went_away(request):
            log.warning("database_unavailable", error="ConnectionResetError")
            return _unavailable()
        log.info("client_disconnected")
        return web.Response(status=CLIENT_CLOSED_REQUEST)  # never sent: nobody is listening
    except UNSTORABLE_TEXT:
        log.warning("unstorable_text")
        return problem_response(
            422, "Unprocessable Content", "the request contains text that cannot be stored"
        )
    except DATABASE_UNAVAILABLE as exc:
        log.warning("database_unavailable", error=type(exc).__name__)
        return _unavailable()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled_exception")
        return problem_response(500, "Internal Server Error", type="/problems/internal")
