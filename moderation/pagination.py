"""Opaque keyset cursors: the sort key of the last row seen, never an offset."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .errors import FieldError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Cursor:
    at: datetime
    id: int


def encode_cursor(at: datetime, row_id: int) -> str:
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{micros}.{row_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> Cursor:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        micros, row_id = (int(part) for part in text.split("."))
        return Cursor(at=_EPOCH + timedelta(microseconds=micros), id=row_id)
    except (ValueError, binascii.Error, OverflowError, UnicodeDecodeError):
        raise FieldError("cursor", "is not a cursor this service issued") from None


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise FieldError("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)
