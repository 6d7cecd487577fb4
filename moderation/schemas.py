"""Request parsing: bodies into plain dicts, and fields into frozen dataclasses or one 422."""

from __future__ import annotations

import json
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import SplitResult, urlsplit

import email_validator
from aiohttp import web
from email_validator import EmailNotValidError, validate_email

from .domain import Reason
from .errors import BadRequest, FieldError, Invalid, PayloadTooLarge, UnsupportedMediaType
from .text.hygiene import InvalidText, clean_body, clean_line, clean_name

# The default does a blocking DNS lookup; syntax is all we check on the request path.
email_validator.CHECK_DELIVERABILITY = False

MAX_BODY_BYTES = 64 * 1024
# Ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1
JSON_TYPES = frozenset({"application/json"})
FORM_TYPES = frozenset({"application/x-www-form-urlencoded"})
NOTE_MAX = 500
HONEYPOT_FIELD = "url"
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)


async def read_payload(request: web.Request, *, allow_form: bool = False) -> dict[str, Any]:
    """The request body as a dict: JSON object, or (where allowed) an urlencoded form."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise PayloadTooLarge("the request body is over 64 KiB")
    content_type = request.content_type
    is_form = allow_form and content_type in FORM_TYPES
    if content_type not in JSON_TYPES and not is_form:
        accepted = "application/json" + (
            " or application/x-www-form-urlencoded" if allow_form else ""
        )
        raise UnsupportedMediaType(f"send {accepted}")
    raw = await request.read()
    return _parse_form(raw) if is_form else _parse_json(raw)


async def read_optional_json(request: web.Request) -> dict[str, Any]:
    """Like read_payload for JSON, but an empty body (no content) reads as {}."""
    if not request.body_exists or not await request.read():
        return {}
    return await read_payload(request)


def _parse_json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError for invalid UTF-8
        raise BadRequest("the request body is not valid JSON (UTF-8)") from None
    except RecursionError:
        raise BadRequest("the request body nests too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest("the request body must be a JSON object")
    return data


def _parse_form(raw: bytes) -> dict[str, Any]:
    try:
        pairs = urllib.parse.parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form is not valid UTF-8 urlencoded data") from None
    form: dict[str, Any] = {}
    for key, value in pairs:
        form.setdefault(key, value)
    return form


class Fields:
    """Collects every field error of one request, so the author fixes them all at once."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: list[FieldError] = []

    def take(self, name: str, parse: Callable[[Any], T], *, required: bool = True) -> T | None:
        value = self.data.get(name)
        if value is None or (isinstance(value, str) and value == "" and not required):
            if required:
                self.errors.append(FieldError(name, "is required"))
            return None
        try:
            return parse(value)
        except FieldError as exc:
            self.errors.append(FieldError(name, exc.message))
        except InvalidText as exc:
            self.errors.append(FieldError(name, str(exc)))
        return None

    def check(self) -> None:
        if self.errors:
            raise Invalid(self.errors)


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError("", "must be a string")
    return value


def _bounded(text: str, low: int, high: int) -> str:
    if len(text) < low:
        raise FieldError("", "is required" if low == 1 else f"must be at least {low} characters")
    if len(text) > high:
        raise FieldError("", f"must be at most {high:,} characters (got {len(text):,})")
    return text


def parse_thread(value: Any) -> str:
    return _bounded(clean_line(_string(value)), 1, 512)


def parse_name(value: Any) -> str:
    return _bounded(clean_name(_string(value)), 1, 100)


def parse_body(value: Any) -> str:
    body = _bounded(clean_body(_string(value)), 1, 10_000)
    if not any(unicodedata.category(c)[0] in "LNPS" for c in body):
        raise FieldError("", "must contain visible text")
    return body


def parse_email(value: Any) -> str:
    text = _string(value).strip()
    if len(text) > 254:
        raise FieldError("", "must be at most 254 characters")
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise FieldError("", str(exc)) from None


def split_url(text: str) -> SplitResult | None:
    """`urlsplit`, or None where it refuses the text (`http://[oops`, a bad port)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - parsed lazily; a bad port raises here, not in urlsplit
    except ValueError:
        return None
    return parts


def parse_website(value: Any) -> str | None:
    text = _bounded(clean_line(_string(value)), 0, 1000)
    if not text:
        return None
    parts = split_url(text)
    if parts is None:
        raise FieldError("", "is not a valid web address")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FieldError("", "must be an http:// or https:// address")
    if parts.username is not None or parts.password is not None:
        raise FieldError("", "must not contain a user name or password")
    return text


def whole_number(text: str, high: int) -> int | None:
    """The decimal number `text` if it is 0…high, else None. The one way text from a request
    becomes an int: the length is checked before `int()`, which is quadratic in the digits
    (and refuses more than 4,300 of them with a ValueError)."""
    if not 0 < len(text) <= len(str(high)) or not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if number <= high else None


def parse_comment_id(value: Any) -> int:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    number = whole_number(text, MAX_ID) if isinstance(text, str) else None
    if number is None:
        raise FieldError("", "must be a comment id")
    return number


def parse_note(value: Any) -> str:
    return _bounded(clean_body(_string(value)), 0, NOTE_MAX)


def one_of(choices: type[E]) -> Callable[[Any], E]:
    """A parser for one value of a string enum, naming every allowed value when it fails."""

    def parse(value: Any) -> E:
        if isinstance(value, str) and value in choices._value2member_map_:
            return choices(value)
        raise FieldError("", "must be one of " + ", ".join(c.value for c in choices))

    return parse


parse_reason = one_of(Reason)


@dataclass(frozen=True, slots=True)
class Submission:
    thread: str
    name: str
    email: str
    body: str
    website: str | None
    parent_id: int | None
    # The hidden `url` field of the form: people never see it, bots fill anything called url.
    honeypot: bool = False
    # A plain HTML form's article page to go back to (JSON requests get the usual 202).
    return_to: str | None = None


def parse_submission(data: Mapping[str, Any]) -> Submission:
    fields = Fields(data)
    thread = fields.take("thread", parse_thread)
    name = fields.take("name", parse_name)
    email = fields.take("email", parse_email)
    body = fields.take("body", parse_body)
    website = fields.take("website", parse_website, required=False)
    parent_id = fields.take("parent_id", parse_comment_id, required=False)
    fields.check()
    assert thread is not None and name is not None and email is not None and body is not None
    trap = data.get(HONEYPOT_FIELD)
    honeypot = bool(trap.strip()) if isinstance(trap, str) else trap is not None
    return Submission(thread, name, email, body, website, parent_id, honeypot)


@dataclass(frozen=True, slots=True)
class Decision:
    reason: Reason | None
    note: str | None


def parse_approval(data: Mapping[str, Any]) -> Decision:
    fields = Fields(data)
    note = fields.take("note", parse_note, required=False)
    fields.check()
    return Decision(reason=None, note=note or None)


def parse_rejection(data: Mapping[str, Any]) -> Decision:
    fields = Fields(data)
    reason = fields.take("reason", parse_reason)
    note = fields.take("note", parse_note, required=False)
    fields.check()
    return Decision(reason=reason, note=note or None)
