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
    # Only in "flagged first" listings: whether the last row seen was flagged.
    flagged: bool | None = None


def encode_cursor(at: datetime, row_id: int, flagged: bool | None = None) -> str:
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    text = f"{micros}.{row_id}" + ("" if flagged is None else f".{int(flagged)}")
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> Cursor:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        parts = [int(part) for part in text.split(".")]
        if len(parts) == 2:
            return Cursor(at=_EPOCH + timedelta(microseconds=parts[0]), id=parts[1])
        micros, row_id, flagged = parts
        if flagged not in (0, 1):
            raise ValueError(flagged)
        return Cursor(_EPOCH + timedelta(microseconds=micros), row_id, bool(flagged))
    except (ValueError, binascii.Error, OverflowError, UnicodeDecodeError):
        raise FieldError("cursor", "is not a cursor this service issued") from None


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise FieldError("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)
