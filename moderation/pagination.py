"""Opaque keyset cursors: the sort key of the last row seen, never an offset."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from .errors import FieldError
from .schemas import MAX_ID, whole_number

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def page_of(rows: list[T], limit: int, cursor_of: Callable[[T], str]) -> Page[T]:
    """A page from up to `limit + 1` rows: the one row more only says that a next page exists."""
    items = rows[:limit]
    return Page(items, cursor_of(items[-1]) if len(rows) > limit else None)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Three numbers of at most 19 digits and two dots, in base64: never longer than this.
MAX_CURSOR_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Cursor:
    at: datetime
    id: int
    # Only in "flagged first" listings: whether the last row seen was flagged.
    flagged: bool | None = None


def encode_cursor(at: datetime, row_id: int, flagged: bool | None = None) -> str:
    return encode_position((at - _EPOCH) // timedelta(microseconds=1), row_id, flagged)


def encode_position(micros: int, row_id: int, flagged: bool | None = None) -> str:
    """As encode_cursor, from the time in microseconds since 1970 (as the database can give
    it: decoding a timestamp per row cost more than the rest of a row)."""
    text = f"{micros}.{row_id}" + ("" if flagged is None else f".{int(flagged)}")
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> Cursor:
    try:
        if len(raw) > MAX_CURSOR_LENGTH or not raw.isascii():
            raise ValueError("not a cursor")
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        parts = [whole_number(part, MAX_ID) for part in text.split(".")]
        if len(parts) == 2:
            micros, row_id, flagged = parts[0], parts[1], None
        else:
            micros, row_id, flagged = parts
            if flagged not in (0, 1):
                raise ValueError(flagged)
        if micros is None or row_id is None:
            raise ValueError("not a number")
        at = _EPOCH + timedelta(microseconds=micros)
        return Cursor(at, row_id, None if flagged is None else bool(flagged))
    except (ValueError, binascii.Error, OverflowError, UnicodeDecodeError):
        raise FieldError("cursor", "is not a cursor this service issued") from None


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    limit = whole_number(raw, MAX_LIMIT)
    if limit is None or limit < 1:
        raise FieldError("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return limit
