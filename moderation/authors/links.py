"""The secrets in authors' links, and author tokens. Pure: no I/O.

- A confirmation link carries 256 random bits; only their SHA-256 is stored (single use).
- An author token is 256 random bits plus an HMAC over the site, the address's keyed hash and
  the bits: a forged one is refused without a query, and a valid signature already says which
  address it was issued for (per-author limits can rely on it before the database is asked).
  The database keeps its SHA-256, its expiry and whether it was revoked.
- Signed links (appeal, the author's page, unsubscribe) carry a subject and an expiry and an
  HMAC over them, the purpose and the site; nothing is stored for them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

# base64url of 32 bytes, without padding.
_RANDOM_LENGTH = 43
_SIGNATURE_BYTES = 16  # 128 bits
_MAX_SUBJECT = 80


class Purpose(StrEnum):
    APPEAL = "appeal"
    AUTHOR_PAGE = "author-page"
    UNSUBSCRIBE = "unsubscribe"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    if not text.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def _mac(secret_key: bytes, message: str) -> bytes:
    return hmac.new(secret_key, message.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def random_token() -> str:
    return _b64(secrets.token_bytes(32))


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def is_random_token(token: str) -> bool:
    return len(token) == _RANDOM_LENGTH and _unb64(token) is not None


def new_author_token(secret_key: bytes, site_id: int, email_hash: bytes) -> str:
    body = random_token()
    signature = _mac(secret_key, f"author-token:{site_id}:{email_hash.hex()}:{body}")
    return f"{body}.{_b64(signature)}"


def author_token_signed_for(
    secret_key: bytes, site_id: int, email_hash: bytes, token: str | None
) -> bool:
    """Whether `token` was issued by us for this address on this site (not whether it still
    holds: expiry and revocation are the database's to say)."""
    if not token or len(token) > 100:
        return False
    body, dot, signature = token.partition(".")
    given = _unb64(signature) if dot else None
    if given is None or not is_random_token(body):
        return False
    expected = _mac(secret_key, f"author-token:{site_id}:{email_hash.hex()}:{body}")
    return hmac.compare_digest(given, expected)


@dataclass(frozen=True, slots=True)
class Signed:
    subject: str
    expires: int  # unix seconds


def sign(secret_key: bytes, purpose: Purpose, site_id: int, subject: str, expires: int) -> str:
    """`subject.expires.signature`: URL-safe as it is (subjects are ids and hex)."""
    mac = _mac(secret_key, f"{purpose}:{site_id}:{subject}:{expires}")
    return f"{subject}.{expires}.{_b64(mac)}"


def verify(secret_key: bytes, purpose: Purpose, site_id: int, link: str) -> Signed | None:
    """The signed subject and expiry, or None for anything we did not sign (expiry is the
    caller's to check, so an expired link can be told from a forged one)."""
    if len(link) > 200 or not link.isascii():
        return None
    subject, _, rest = link.partition(".")
    expires_text, _, signature = rest.partition(".")
    given = _unb64(signature)
    if (
        given is None
        or not subject
        or len(subject) > _MAX_SUBJECT
        or not expires_text.isdigit()
        or len(expires_text) > 12
    ):
        return None
    expected = _mac(secret_key, f"{purpose}:{site_id}:{subject}:{expires_text}")
    if not hmac.compare_digest(given, expected):
        return None
    return Signed(subject, int(expires_text))
