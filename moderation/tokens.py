"""API token format: prefix, 256 random bits and a checksum, so junk is refused without a query.

Like GitHub's formats: `cmod_` + 43 base62 characters + a 6-character base62 CRC32. A leaked
token can be found by scanning for the prefix; only its SHA-256 is ever stored.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib

PREFIX = "cmod_"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LENGTH = 43  # 62**43 > 2**256
_CHECK_LENGTH = 6  # 62**6 > 2**32
TOKEN_LENGTH = len(PREFIX) + _BODY_LENGTH + _CHECK_LENGTH
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_ALPHABET[rest])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode("ascii")), _CHECK_LENGTH)


def new_token() -> str:
    body = _base62(int.from_bytes(secrets.token_bytes(32), "big"), _BODY_LENGTH)
    return PREFIX + body + _checksum(body)


def is_well_formed(token: str) -> bool:
    if len(token) != TOKEN_LENGTH or not token.startswith(PREFIX):
        return False
    rest = token[len(PREFIX) :]
    if any(c not in _INDEX for c in rest):
        return False
    body, check = rest[:_BODY_LENGTH], rest[_BODY_LENGTH:]
    return secrets.compare_digest(_checksum(body), check)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii")).digest()


def display_prefix(token: str) -> str:
    return token[: len(PREFIX) + 6]
