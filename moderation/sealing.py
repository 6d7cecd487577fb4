"""Email addresses at rest: AES-256-GCM under keys derived from the server secret with
HKDF-SHA256 (one key per key id), each value bound to its place (column and site) by its
associated data, so a sealed value moved to another column or site no longer opens."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12  # 96 bits, random per value: GCM's own nonce size
TAG_BYTES = 16
# Key ids are stored as smallint beside each value.
MAX_KEY_ID = 32_767


class Place(StrEnum):
    """Every column that holds an address (its associated data names it)."""

    COMMENT_EMAIL = "comments.email"
    MAIL_RECIPIENT = "mail_outbox.recipient"
    REPORTER_EMAIL = "reports.reporter_email"


class Unreadable(Exception):
    """A sealed value that does not open: an unknown key id, or a failed tag (another place,
    another secret, or changed bytes). The message never carries the value."""

    def __init__(self, place: Place, site_id: int, key_id: int, why: str) -> None:
        super().__init__(f"{place} of site {site_id} under key {key_id}: {why}")
        self.place, self.site_id, self.key_id, self.why = place, site_id, key_id, why


@dataclass(frozen=True, slots=True)
class Sealed:
    """A sealed value: the key id beside the nonce followed by the ciphertext and its tag."""

    key_id: int
    blob: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Stored:
    """An address as its row holds it: sealed, or still plain in a row written before
    migration 0014 that `moderation keys rotate` has not sealed yet."""

    place: Place
    site_id: int
    sealed: Sealed | None
    plain: str | None = field(default=None, repr=False)

    @classmethod
    def of(
        cls,
        place: Place,
        site_id: int,
        blob: bytes | None,
        key_id: int | None,
        plain: str | None,
    ) -> Stored | None:
        """From a row's three columns; None where the row holds no address (erased)."""
        if blob is not None and key_id is not None:
            return cls(place, site_id, Sealed(key_id, bytes(blob)), None)
        return None if plain is None else cls(place, site_id, None, plain)


def _associated_data(place: Place, site_id: int) -> bytes:
    return f"moderation:{place.value}:site:{site_id}".encode()


@functools.lru_cache(maxsize=32)
def _cipher(secret: bytes, key_id: int) -> AESGCM:
    """The AES-256 key of one key id, derived once per process (HKDF is cheap, but not free)."""
    key = HKDF(
        algorithm=SHA256(), length=32, salt=None, info=b"moderation email key v%d" % key_id
    ).derive(secret)
    return AESGCM(key)


@dataclass(frozen=True, slots=True)
class Keyring:
    """Seals under the current key id; opens values of any key id from 1 to the current."""

    secret: bytes = field(repr=False)
    current: int

    def seal(self, place: Place, site_id: int, value: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        cipher = _cipher(self.secret, self.current)
        data = cipher.encrypt(nonce, value.encode(), _associated_data(place, site_id))
        return Sealed(self.current, nonce + data)

    def open(self, place: Place, site_id: int, sealed: Sealed) -> str:
        """The address; raises Unreadable."""
        return self._open(
            place, site_id, sealed.key_id, sealed.blob, _associated_data(place, site_id)
        )

    def _open(self, place: Place, site_id: int, key_id: int, blob: bytes, aad: bytes) -> str:
        if not 1 <= key_id <= self.current:
            raise Unreadable(place, site_id, key_id, "unknown key id")
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise Unreadable(place, site_id, key_id, "too short")
        try:
            plain = _cipher(self.secret, key_id).decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad
            )
            return plain.decode()
        except (InvalidTag, UnicodeDecodeError):
            raise Unreadable(place, site_id, key_id, "authentication failed") from None

    def reveal(self, stored: Stored) -> str:
        """The address a row holds, sealed or plain; raises Unreadable."""
        if stored.sealed is None:
            assert stored.plain is not None
            return stored.plain
        return self.open(stored.place, stored.site_id, stored.sealed)

    def readable_columns(
        self, place: Place, site_id: int, rows: Iterable[Columns]
    ) -> list[str | None]:
        """The addresses of many rows of one place and site, from each row's (sealed, key id,
        plain) columns, each as `readable` would give it: what Stored.of and `reveal` do, without
        building a Stored and a Sealed per row (a queue page of 50 opens in a third of the
        time). What does not open is logged once for all the rows (how many, under which key
        ids, why): a wrong secret must not write a line per address on every page."""
        aad = _associated_data(place, site_id)
        addresses: list[str | None] = []
        failed: list[Unreadable] = []
        for blob, key_id, plain in rows:
            if blob is None or key_id is None:
                addresses.append(plain)
                continue
            try:
                addresses.append(self._open(place, site_id, key_id, blob, aad))
            except Unreadable as exc:
                failed.append(exc)
                addresses.append(None)
        if failed:
            log.error(
                "address_unreadable",
                place=place.value,
                site_id=site_id,
                rows=len(failed),
                key_ids=sorted({exc.key_id for exc in failed}),
                whys=sorted({exc.why for exc in failed}),
            )
        return addresses


# A row's address columns: sealed value, its key id, and the plain value of an older row.
Columns = tuple[bytes | None, int | None, str | None]


log = structlog.get_logger("moderation.sealing")


def readable(keys: Keyring, stored: Stored | None) -> str | None:
    """The address, or None where the row holds none (erased) or it does not open: that is
    logged (where, which key id, why; never the value) and the page shows it as unavailable."""
    if stored is None:
        return None
    try:
        return keys.reveal(stored)
    except Unreadable as exc:
        log_unreadable(exc)
        return None


def log_unreadable(exc: Unreadable, **where: int) -> None:
    """Where, under which key id and why a value did not open; never the value."""
    log.error(
        "address_unreadable",
        place=exc.place.value,
        site_id=exc.site_id,
        key_id=exc.key_id,
        why=exc.why,
        **where,
    )
