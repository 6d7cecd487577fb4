"""Standard Webhooks v1 signing: secrets, message ids, signatures and the headers we send."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from secrets import token_bytes

from moderation import __version__

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
USER_AGENT = f"moderation-webhooks/{__version__}"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(token_bytes(SECRET_BYTES)).decode("ascii")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Sign the exact bytes that will be sent; `timestamp` is Unix seconds of this attempt.

    Raises ValueError for a message id containing "." (it would make the signed content ambiguous).
    """
    if "." in msg_id:
        raise ValueError("webhook message ids must not contain '.'")
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed_content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed_content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """One signature per secret: during rotation receivers accept the message if any one matches."""
    if not secrets:
        raise ValueError("at least one signing secret is needed")
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def headers(secrets: Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets, msg_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
