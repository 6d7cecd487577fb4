"""Small pieces every handler module shares: JSON rendering and path/query parsing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from aiohttp import web

from ..errors import FieldError, Invalid, NotFound
from ..pagination import Cursor, decode_cursor, parse_limit
from ..schemas import MAX_ID, one_of, parse_thread, whole_number
from ..text.hygiene import InvalidText

E = TypeVar("E", bound=StrEnum)
D = TypeVar("D")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def id_of(request: web.Request, name: str, what: str) -> int:
    """A numeric id from the path; anything else names nothing here, so 404."""
    number = whole_number(request.match_info[name], MAX_ID)
    if number is None:
        raise NotFound(f"no such {what}")
    return number


def comment_id_of(request: web.Request) -> int:
    return id_of(request, "comment_id", "comment")


def page_query(request: web.Request) -> tuple[Cursor | None, int]:
    return page_from(request.query)


def page_from(query: Mapping[str, str]) -> tuple[Cursor | None, int]:
    errors: list[FieldError] = []
    cursor: Cursor | None = None
    limit = 0
    raw_cursor = query.get("cursor")
    try:
        cursor = decode_cursor(raw_cursor) if raw_cursor else None
    except FieldError as exc:
        errors.append(exc)
    try:
        limit = parse_limit(query.get("limit"))
    except FieldError as exc:
        errors.append(exc)
    if errors:
        raise Invalid(errors)
    return cursor, limit


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def json_bytes(data: Any) -> bytes:
    return _dumps(data).encode()


def conditional_response(
    request: web.Request, etag: str, body: bytes, *, cache_control: str
) -> web.Response:
    """A cacheable JSON answer with a strong ETag; `If-None-Match` with that tag gets a 304."""
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if _etag_matches(request.headers.get("If-None-Match"), etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


def enum_query(request: web.Request, name: str, choices: type[E], default: D) -> E | D:
    """An optional enum in the query string; absent or empty gives `default`."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return one_of(choices)(raw)
    except FieldError as exc:
        raise Invalid.one(name, exc.message) from None


def thread_query(request: web.Request, *, required: bool) -> str | None:
    return thread_from(request.query, required=required)


def thread_from(query: Mapping[str, str], *, required: bool) -> str | None:
    if "thread" not in query:
        if required:
            raise Invalid.one("thread", "is required")
        return None
    try:
        return parse_thread(query["thread"])
    except FieldError as exc:
        raise Invalid.one("thread", exc.message) from None
    except InvalidText as exc:
        raise Invalid.one("thread", str(exc)) from None
