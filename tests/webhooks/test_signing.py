"""Our signatures are checked by the reference `standardwebhooks` receiver, not by our own code."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from moderation import __version__
from moderation.webhooks import signing

ARABIC_EVENT = {"type": "comment.approved", "comment": {"id": 7, "body": "شكراً على المقال"}}
ENGLISH_EVENT = {"type": "comment.rejected", "comment": {"id": 8, "body": "Thanks for the article"}}


def new_message_id() -> str:
    # Message ids are made by the outbox, in SQL: msg_ and 32 hex digits.
    return f"msg_{uuid.uuid4().hex}"


def encode(event: dict[str, object]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def now() -> int:
    return int(time.time())


@pytest.mark.parametrize("event", [ARABIC_EVENT, ENGLISH_EVENT], ids=["arabic", "english"])
def test_the_reference_receiver_accepts_our_headers_for_the_bytes_we_send(
    event: dict[str, object],
) -> None:
    secret, msg_id, body = signing.new_secret(), new_message_id(), encode(event)

    sent_headers = signing.headers([secret], msg_id, now(), body)

    assert Webhook(secret).verify(body, sent_headers) == event


def test_arabic_text_is_signed_as_raw_utf8_not_json_escapes() -> None:
    body = encode(ARABIC_EVENT)

    assert "شكراً".encode() in body
    assert b"\\u" not in body


def test_a_tampered_body_is_rejected() -> None:
    secret, msg_id = signing.new_secret(), new_message_id()
    sent_headers = signing.headers([secret], msg_id, now(), encode(ARABIC_EVENT))
    tampered = encode({**ARABIC_EVENT, "type": "comment.deleted"})

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(secret).verify(tampered, sent_headers)


def test_a_signature_made_with_another_secret_is_rejected() -> None:
    body, msg_id = encode(ENGLISH_EVENT), new_message_id()
    sent_headers = signing.headers([signing.new_secret()], msg_id, now(), body)

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(signing.new_secret()).verify(body, sent_headers)


def test_a_timestamp_older_than_five_minutes_is_rejected() -> None:
    secret, body, msg_id = signing.new_secret(), encode(ENGLISH_EVENT), new_message_id()
    sent_headers = signing.headers([secret], msg_id, now() - 301, body)

    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(body, sent_headers)


def test_during_rotation_either_secret_verifies_the_same_message() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    body, msg_id = encode(ARABIC_EVENT), new_message_id()

    sent_headers = signing.headers([old, new], msg_id, now(), body)

    assert len(sent_headers["webhook-signature"].split(" ")) == 2
    assert Webhook(old).verify(body, sent_headers) == ARABIC_EVENT
    assert Webhook(new).verify(body, sent_headers) == ARABIC_EVENT
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, sent_headers)


def test_sign_matches_the_reference_implementation_and_a_hand_computed_hmac() -> None:
    secret = "whsec_" + base64.b64encode(bytes(range(32))).decode()
    body = encode(ARABIC_EVENT)
    timestamp = 1_700_000_000

    reference = Webhook(secret).sign(
        "msg_1", datetime.fromtimestamp(timestamp, tz=UTC), body.decode("utf-8")
    )

    assert signing.sign(secret, "msg_1", timestamp, body) == reference


def test_headers_carry_id_timestamp_content_type_and_our_user_agent() -> None:
    secret, msg_id, body = signing.new_secret(), new_message_id(), b"{}"

    sent_headers = signing.headers([secret], msg_id, 1_700_000_000, body)

    assert sent_headers == {
        "webhook-id": msg_id,
        "webhook-timestamp": "1700000000",
        "webhook-signature": signing.sign(secret, msg_id, 1_700_000_000, body),
        "content-type": "application/json",
        "user-agent": f"moderation-webhooks/{__version__}",
    }


def test_secrets_are_prefixed_and_decode_to_exactly_32_bytes() -> None:
    secrets = [signing.new_secret() for _ in range(50)]

    assert all(secret.startswith("whsec_") for secret in secrets)
    assert {len(base64.b64decode(secret.removeprefix("whsec_"))) for secret in secrets} == {32}
    assert len(set(secrets)) == 50


def test_a_message_id_with_a_dot_is_refused_rather_than_signed_ambiguously() -> None:
    with pytest.raises(ValueError, match="must not contain"):
        signing.sign(signing.new_secret(), "msg.1", now(), b"{}")


def test_signing_needs_at_least_one_secret() -> None:
    with pytest.raises(ValueError, match="at least one"):
        signing.signature_header([], new_message_id(), now(), b"{}")
