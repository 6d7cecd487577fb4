"""Every parser of request data, driven with arbitrary text and bytes: each either returns a
value or raises the field error the API turns into a 4xx, never anything else."""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation import schemas, tokens
from moderation.config import Settings, redact_dsn
from moderation.domain import SLUG
from moderation.errors import BadRequest, FieldError, Invalid
from moderation.identity import client_address
from moderation.pagination import MAX_LIMIT, decode_cursor, encode_cursor, parse_limit
from moderation.schemas import MAX_ID, split_url, whole_number
from moderation.text.hygiene import InvalidText
from moderation.views import _etag_matches

HOSTILE = ["9" * 5000, "http://[oops", "http://[::1", "http://a:99999", "\x00", "\ud800", "١٢٣"]
arbitrary_text = st.one_of(st.text(), st.sampled_from(HOSTILE))
# Text as a header or a cookie arrives: bytes that aren't UTF-8 become lone surrogates.
header_text = st.binary().map(lambda b: b.decode("utf-8", "surrogateescape"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | arbitrary_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


def attempt(parse: Callable[[Any], Any], value: Any) -> tuple[Any, Any]:
    """(value, None), or (None, the FieldError or Invalid it raised); anything else fails."""
    try:
        return parse(value), None
    except (FieldError, Invalid) as exc:
        return None, exc


FIELD_PARSERS: list[Callable[[Any], Any]] = [
    schemas.parse_thread,
    schemas.parse_name,
    schemas.parse_email,
    schemas.parse_body,
    schemas.parse_website,
    schemas.parse_comment_id,
    schemas.parse_note,
    schemas.parse_reason,
]


@pytest.mark.parametrize("parse", FIELD_PARSERS, ids=lambda p: p.__name__)
@settings(max_examples=150, deadline=None)
@given(value=st.one_of(json_values, header_text))
def test_a_field_parser_returns_a_value_or_a_field_error(
    parse: Callable[[Any], Any], value: Any
) -> None:
    with contextlib.suppress(FieldError, InvalidText):
        parse(value)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(arbitrary_text, header_text), high=st.sampled_from([200, MAX_ID]))
def test_whole_number_is_a_bounded_number_or_none(text: str, high: int) -> None:
    number = whole_number(text, high)
    if number is not None:
        assert 0 <= number <= high
        assert text.isascii() and int(text) == number


def test_whole_number_refuses_five_thousand_digits_without_converting_them() -> None:
    assert whole_number("9" * 5000, MAX_ID) is None
    assert whole_number(str(MAX_ID), MAX_ID) == MAX_ID
    assert whole_number(str(MAX_ID + 1), MAX_ID) is None
    assert whole_number("١٢", 200) is None  # Arabic-Indic digits are digits to isdigit()


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.none(), arbitrary_text, header_text))
def test_a_limit_is_one_to_the_maximum_or_a_limit_field_error(text: str | None) -> None:
    limit, error = attempt(parse_limit, text)
    assert (1 <= limit <= MAX_LIMIT) if error is None else error.field == "limit"


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(arbitrary_text, header_text, st.binary().map(lambda b: b.hex())))
def test_a_cursor_is_decoded_or_a_cursor_field_error(text: str) -> None:
    cursor, error = attempt(decode_cursor, text)
    assert (0 <= cursor.id <= MAX_ID) if error is None else error.field == "cursor"


@given(
    at=st.datetimes(min_value=datetime(1970, 1, 1), timezones=st.just(UTC)),
    row_id=st.integers(1, MAX_ID),
    flagged=st.sampled_from([None, True, False]),
)
def test_every_cursor_the_service_issues_decodes_to_itself(
    at: datetime, row_id: int, flagged: bool | None
) -> None:
    cursor = decode_cursor(encode_cursor(at, row_id, flagged))
    assert (cursor.at, cursor.id, cursor.flagged) == (at, row_id, flagged)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(arbitrary_text, header_text))
def test_split_url_never_raises(text: str) -> None:
    split_url(text)


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=300))
def test_a_body_is_a_dict_or_a_bad_request(raw: bytes) -> None:
    for parse in (schemas._parse_json, schemas._parse_form):
        with contextlib.suppress(BadRequest):
            assert isinstance(parse(raw), dict)


@settings(max_examples=200, deadline=None)
@given(data=st.dictionaries(st.sampled_from(["thread", "name", "email", "body"]), json_values))
def test_a_submission_is_parsed_or_refused_with_the_fields_named(data: dict[str, Any]) -> None:
    _, error = attempt(schemas.parse_submission, data)
    assert error is None or {e["field"] for e in error.extensions["errors"]} <= {
        "thread",
        "name",
        "email",
        "body",
        "website",
        "parent_id",
    }


@given(text=st.one_of(arbitrary_text, header_text))
def test_only_plain_slugs_name_a_site(text: str) -> None:
    if SLUG.fullmatch(text):
        assert text.isascii() and text.isprintable() and "\n" not in text


def test_a_trailing_newline_is_not_a_slug() -> None:
    assert SLUG.fullmatch("daily\n") is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/news", "postgresql://app:[redacted]@db:5432/news"),
        (
            "postgresql://app@db/news?password=s3cret",
            "postgresql://app@db/news?password=[redacted]",
        ),
        ("postgresql://db/news", "postgresql://db/news"),
        ("postgresql://[oops:s3cret@db", "[unparseable]"),
    ],
)
def test_settings_print_the_database_url_without_its_password(url: str, shown: str) -> None:
    settings = Settings(database_url=url, secret_key=b"k" * 32)
    assert redact_dsn(url) == shown
    for text in (repr(settings), str(settings), json.dumps(str(settings))):
        assert "s3cret" not in text
        assert "k" * 32 not in text


@settings(max_examples=300, deadline=None)
@given(peer=st.one_of(st.none(), header_text), forwarded=st.one_of(st.none(), header_text))
def test_the_client_address_is_an_address_or_none_whatever_the_headers(
    peer: str | None, forwarded: str | None
) -> None:
    trusted = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    address = client_address(peer, forwarded, trusted)
    assert address is None or isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(arbitrary_text, header_text))
def test_header_values_are_judged_without_raising(text: str) -> None:
    assert isinstance(tokens.is_well_formed(text), bool)
    assert isinstance(_etag_matches(text, '"abc"'), bool)
    shown = redact_dsn(text)
    assert shown is not None


@given(password=st.text(alphabet=st.characters(categories=["L", "N"]), min_size=8))
def test_no_password_survives_redaction(password: str) -> None:
    shown = redact_dsn(f"postgresql://app:{quote(password)}@db:5432/news")
    assert shown is not None and quote(password) not in shown and password not in shown
