"""Request parsing every handler shares: ids in the path, the query string (pages, enums,
flags, the thread), the client's address. Bodies are parsed by `schemas`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from aiohttp import web

from ..config import SETTINGS
from ..errors import FieldError, Invalid, NotFound
from ..identity import IPAddress, client_address
from ..pagination import Cursor, decode_cursor, parse_limit
from ..schemas import MAX_ID, one_of, parse_thread, whole_number
from ..text.hygiene import InvalidText

E = TypeVar("E", bound=StrEnum)
D = TypeVar("D")


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


def flag_query(request: web.Request, name: str) -> bool:
    """An optional true/false in the query string (also 1/0); absent is false."""
    raw = request.query.get(name, "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise Invalid.one(name, "must be true or false")
    return raw in ("true", "1")


def client_of(request: web.Request) -> IPAddress | None:
    """The client's address: the peer, or what our own trusted proxies say it is."""
    return client_address(
        request.remote,
        request.headers.get("X-Forwarded-For"),
        request.app[SETTINGS].trusted_proxies,
    )


# Periods of the transparency report: a date (a whole day) or a time with its offset.
_MAX_TIME_TEXT = 40
_FIRST_DAY = datetime(2000, 1, 1, tzinfo=UTC)


def _instant(name: str, raw: str, *, end: bool) -> datetime:
    if len(raw) > _MAX_TIME_TEXT or not raw.isascii():
        raise FieldError(name, "must be a date (YYYY-MM-DD) or a time with its offset")
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            at = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return at + timedelta(days=1) if end else at  # `to` a date: through that day
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise FieldError(name, "must be a date (YYYY-MM-DD) or a time with its offset") from None
    if at.tzinfo is None:
        raise FieldError(name, "must name its UTC offset (Z or +03:00)")
    return at.astimezone(UTC)


def period_query(request: web.Request) -> tuple[datetime, datetime]:
    """`from` (inclusive, default 1 January of this year) and `to` (exclusive; a date counts
    as a whole day; default now), both at most 2000-01-01 … 9999."""
    now = datetime.now(UTC)
    errors: list[FieldError] = []
    bounds: list[datetime] = []
    defaults = (("from", datetime(now.year, 1, 1, tzinfo=UTC), False), ("to", now, True))
    for name, default, end in defaults:
        raw = request.query.get(name)
        try:
            at = default if not raw else _instant(name, raw, end=end)
            if at < _FIRST_DAY:
                raise FieldError(name, "must be in 2000 or later")
            bounds.append(at)
        except FieldError as exc:
            errors.append(exc)
        except OverflowError:
            errors.append(FieldError(name, "is out of range"))
    if errors:
        raise Invalid(errors)
    start, end_at = bounds
    if end_at <= start:
        raise Invalid.one("to", "must be after `from`")
    return start, end_at
