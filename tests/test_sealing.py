"""moderation/sealing.py: AES-256-GCM with HKDF-derived keys per key id, bound to a place."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from structlog.testing import capture_logs

from moderation.config import ConfigError, Settings
from moderation.sealing import (
    NONCE_BYTES,
    Keyring,
    Place,
    Sealed,
    Stored,
    Unreadable,
    readable,
)

SECRET = b"a-secret-of-at-least-thirty-two-characters"
KEYS = Keyring(SECRET, 1)
SITE = 7
ADDRESSES = [
    "sara@example.com",
    "Layla.Hassan@Example.COM",
    "سارة@مثال.مصر",  # an Arabic local part at an IDN domain
    "user@xn--mgbh0fb.xn--wgbh1c",
    "o'brien+news@bücher.de",
    # as long as an address gets: 64 in the local part, 254 in all
    "l" * 64 + "@" + "d" * 60 + "." + "d" * 60 + "." + "d" * 59 + ".example",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_an_address_opens_as_it_was_sealed(address: str) -> None:
    sealed = KEYS.seal(Place.COMMENT_EMAIL, SITE, address)
    assert sealed.key_id == 1
    assert address.encode() not in sealed.blob
    assert len(sealed.blob) == NONCE_BYTES + len(address.encode()) + 16
    assert KEYS.open(Place.COMMENT_EMAIL, SITE, sealed) == address


def test_the_longest_address_fits_the_columns_bound() -> None:
    longest = ADDRESSES[-1]
    assert len(longest) == 254
    worst = "ش" * 64 + "@" + "ب" * 60 + "." + "ب" * 60 + "." + "ب" * 59 + ".example"  # 2 bytes
    for address in (longest, worst):
        assert 31 <= len(KEYS.seal(Place.MAIL_RECIPIENT, SITE, address).blob) <= 1100


def test_the_same_address_sealed_twice_uses_a_fresh_random_nonce() -> None:
    blobs = {KEYS.seal(Place.COMMENT_EMAIL, SITE, "sara@example.com").blob for _ in range(50)}
    assert len(blobs) == 50
    assert len({blob[:NONCE_BYTES] for blob in blobs}) == 50


@pytest.mark.parametrize(
    ("place", "site"),
    [(Place.MAIL_RECIPIENT, SITE), (Place.REPORTER_EMAIL, SITE), (Place.COMMENT_EMAIL, SITE + 1)],
)
def test_a_value_moved_to_another_column_or_site_does_not_open(place: Place, site: int) -> None:
    sealed = KEYS.seal(Place.COMMENT_EMAIL, SITE, "sara@example.com")
    with pytest.raises(Unreadable, match="authentication failed") as caught:
        KEYS.open(place, site, sealed)
    assert "sara" not in str(caught.value)


def test_a_changed_byte_anywhere_fails_the_tag() -> None:
    sealed = KEYS.seal(Place.COMMENT_EMAIL, SITE, "سارة@مثال.مصر")
    for position in (0, NONCE_BYTES, len(sealed.blob) - 1):
        tampered = bytearray(sealed.blob)
        tampered[position] ^= 0x01
        with pytest.raises(Unreadable, match="authentication failed"):
            KEYS.open(Place.COMMENT_EMAIL, SITE, Sealed(1, bytes(tampered)))
    with pytest.raises(Unreadable, match="too short"):
        KEYS.open(Place.COMMENT_EMAIL, SITE, Sealed(1, sealed.blob[:20]))


def test_each_key_id_has_its_own_key_and_older_ids_still_open() -> None:
    v2 = Keyring(SECRET, 2)
    old = KEYS.seal(Place.COMMENT_EMAIL, SITE, "sara@example.com")
    new = v2.seal(Place.COMMENT_EMAIL, SITE, "sara@example.com")
    assert new.key_id == 2
    assert v2.open(Place.COMMENT_EMAIL, SITE, old) == "sara@example.com"
    assert v2.open(Place.COMMENT_EMAIL, SITE, new) == "sara@example.com"
    # Labelled with the wrong key id, a value does not open.
    with pytest.raises(Unreadable, match="authentication failed"):
        v2.open(Place.COMMENT_EMAIL, SITE, Sealed(1, new.blob))
    # A key id above the current one (or below 1) is unknown here.
    for key_id in (2, 0, -1):
        with pytest.raises(Unreadable, match="unknown key id"):
            KEYS.open(Place.COMMENT_EMAIL, SITE, Sealed(key_id, new.blob))


def test_another_secret_opens_nothing() -> None:
    sealed = KEYS.seal(Place.COMMENT_EMAIL, SITE, "sara@example.com")
    with pytest.raises(Unreadable):
        Keyring(b"another-secret-of-at-least-32-characters", 1).open(
            Place.COMMENT_EMAIL, SITE, sealed
        )


def test_the_key_is_hkdf_sha256_of_the_secret_with_the_key_id_in_its_info() -> None:
    """Documented in the README, so an operator can reproduce it: pinned here."""
    sealed = Keyring(SECRET, 3).seal(Place.REPORTER_EMAIL, 42, "huda@example.com")
    key = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"moderation email key v3").derive(
        SECRET
    )
    plain = AESGCM(key).decrypt(
        sealed.blob[:NONCE_BYTES],
        sealed.blob[NONCE_BYTES:],
        b"moderation:reports.reporter_email:site:42",
    )
    assert plain == b"huda@example.com"


def test_a_stored_value_is_sealed_plain_or_absent() -> None:
    sealed = KEYS.seal(Place.COMMENT_EMAIL, SITE, "sara@example.com")
    from_row = Stored.of(Place.COMMENT_EMAIL, SITE, sealed.blob, 1, None)
    assert from_row is not None and KEYS.reveal(from_row) == "sara@example.com"
    legacy = Stored.of(Place.COMMENT_EMAIL, SITE, None, None, "layla@example.com")
    assert legacy is not None and KEYS.reveal(legacy) == "layla@example.com"
    assert Stored.of(Place.COMMENT_EMAIL, SITE, None, None, None) is None
    assert "sara" not in repr(from_row) and "layla" not in repr(legacy)


def test_an_unreadable_value_is_logged_without_it_and_read_as_none() -> None:
    sealed = Keyring(SECRET, 2).seal(Place.COMMENT_EMAIL, SITE, "sara@example.com")
    stored = Stored(Place.COMMENT_EMAIL, SITE, sealed)
    with capture_logs() as logs:
        assert readable(KEYS, stored) is None
        assert readable(KEYS, None) is None
    assert logs == [
        {
            "event": "address_unreadable",
            "log_level": "error",
            "place": "comments.email",
            "site_id": SITE,
            "key_id": 2,
            "why": "unknown key id",
        }
    ]


def test_the_key_version_setting_is_bounded_and_the_secret_never_printed() -> None:
    secret = "s" * 40
    assert Settings.from_env({"MODERATION_SECRET_KEY": secret}).email_key_version == 1
    settings = Settings.from_env(
        {"MODERATION_SECRET_KEY": secret, "MODERATION_EMAIL_KEY_VERSION": "4"}
    )
    assert settings.email_keys == Keyring(secret.encode(), 4)
    assert secret not in repr(settings) and secret not in repr(settings.email_keys)
    for bad in ("0", "-1", "32768", "two"):
        with pytest.raises(ConfigError, match="MODERATION_EMAIL_KEY_VERSION"):
            Settings.from_env({"MODERATION_EMAIL_KEY_VERSION": bad})


def test_a_page_of_rows_reads_as_each_row_alone_would() -> None:
    """readable_columns, the queue page's way, gives what Stored.of and readable give."""
    rows: list[tuple[bytes | None, int | None, str | None]] = [
        (s.blob, s.key_id, None)
        for s in (KEYS.seal(Place.COMMENT_EMAIL, SITE, a) for a in ADDRESSES)
    ]
    rows += [
        (None, None, "layla@example.com"),  # a row from before sealing
        (None, None, None),  # erased
        (KEYS.seal(Place.COMMENT_EMAIL, SITE + 1, "moved@example.com").blob, 1, None),
        (Keyring(SECRET, 2).seal(Place.COMMENT_EMAIL, SITE, "later@example.com").blob, 2, None),
        (b"short", 1, None),
    ]
    with capture_logs() as logs:
        page = KEYS.readable_columns(Place.COMMENT_EMAIL, SITE, rows)
    with capture_logs() as alone_logs:
        alone = [readable(KEYS, Stored.of(Place.COMMENT_EMAIL, SITE, *row)) for row in rows]
    assert page == alone == [*ADDRESSES, "layla@example.com", None, None, None, None]
    assert [e["why"] for e in alone_logs] == [
        "authentication failed",
        "unknown key id",
        "too short",
    ]
    # The page's failures are one line, without any value.
    assert logs == [
        {
            "event": "address_unreadable",
            "log_level": "error",
            "place": "comments.email",
            "site_id": SITE,
            "rows": 3,
            "key_ids": [1, 2],
            "whys": ["authentication failed", "too short", "unknown key id"],
        }
    ]
