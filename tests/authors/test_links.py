"""The secrets in authors' links and author tokens (pure functions)."""

from __future__ import annotations

import hashlib

from moderation.authors import links
from moderation.authors.links import Purpose

KEY = b"k" * 32
SARA = hashlib.sha256(b"sara").digest()
OMAR = hashlib.sha256(b"omar").digest()


def test_a_random_token_carries_256_bits_and_only_its_hash_is_kept() -> None:
    token = links.random_token()
    assert links.is_random_token(token) and len(token) == 43
    assert links.token_hash(token) == hashlib.sha256(token.encode()).digest()
    assert not links.is_random_token(token[:-1]) and not links.is_random_token("ع" * 43)
    assert links.random_token() != token


def test_an_author_token_is_signed_for_one_address_on_one_site() -> None:
    token = links.new_author_token(KEY, 1, SARA)
    assert links.author_token_signed_for(KEY, 1, SARA, token)
    assert not links.author_token_signed_for(KEY, 1, OMAR, token)
    assert not links.author_token_signed_for(KEY, 2, SARA, token)
    assert not links.author_token_signed_for(b"x" * 32, 1, SARA, token)
    body, _, signature = token.partition(".")
    assert not links.author_token_signed_for(KEY, 1, SARA, body + "." + signature[::-1])
    for junk in (None, "", ".", "a.b", "x" * 500, "عربي.توقيع", token + "."):
        assert not links.author_token_signed_for(KEY, 1, SARA, junk)


def test_a_signed_link_names_its_purpose_site_subject_and_expiry() -> None:
    link = links.sign(KEY, Purpose.APPEAL, 7, "42", 4_102_444_800)
    signed = links.verify(KEY, Purpose.APPEAL, 7, link)
    assert signed is not None and (signed.subject, signed.expires) == ("42", 4_102_444_800)
    assert links.verify(KEY, Purpose.AUTHOR_PAGE, 7, link) is None  # another purpose
    assert links.verify(KEY, Purpose.APPEAL, 8, link) is None  # another site
    subject, expires, signature = link.split(".")
    assert links.verify(KEY, Purpose.APPEAL, 7, f"43.{expires}.{signature}") is None
    assert links.verify(KEY, Purpose.APPEAL, 7, f"{subject}.{int(expires) + 1}.{signature}") is None
    for junk in ("", "..", "42", "42.x.y", "4" * 300, "٤٢.١.x", f"{subject}.{expires}.%%"):
        assert links.verify(KEY, Purpose.APPEAL, 7, junk) is None
