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

from .domain import (
    Language,
    Policy,
    Reason,
    ReportAction,
    ReportCategory,
    Resolution,
    StatementPolicy,
)
from .errors import BadRequest, FieldError, Invalid, PayloadTooLarge, UnsupportedMediaType
from .text.fold import match_key
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
    # Issue 11: mail me when it is approved or answered; the article page it was posted on
    # (checked against the site's origins by the use case); the browser's author token.
    notify: bool = False
    page_url: str | None = None
    author_token: str | None = None
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
    notify = fields.take("notify", parse_flag, required=False)
    page_url = fields.take("page_url", parse_website, required=False)
    author_token = fields.take("author_token", parse_author_token, required=False)
    fields.check()
    assert thread is not None and name is not None and email is not None and body is not None
    trap = data.get(HONEYPOT_FIELD)
    honeypot = bool(trap.strip()) if isinstance(trap, str) else trap is not None
    return Submission(
        thread,
        name,
        email,
        body,
        website,
        parent_id,
        honeypot,
        notify=bool(notify),
        page_url=page_url,
        author_token=author_token or None,
    )


def parse_flag(value: Any) -> bool:
    """JSON true/false, or a form checkbox ("on", "true", "1"; "false", "0", "off")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("on", "true", "1", "yes"):
        return True
    if isinstance(value, str) and value.lower() in ("off", "false", "0", "no", ""):
        return False
    raise FieldError("", "must be true or false")


def parse_author_token(value: Any) -> str:
    """Only its shape: whether it proves anything is the use case's to find out."""
    text = _string(value)
    if len(text) > 100 or not text.isascii():
        raise FieldError("", "is not an author token this service issued")
    return text


@dataclass(frozen=True, slots=True)
class Decision:
    reason: Reason | None
    note: str | None
    # For the author (statement of reasons), unlike the internal note; a legal ground makes the
    # decision one on illegal content.
    explanation: str | None = None
    legal_ground: str | None = None


def parse_approval(data: Mapping[str, Any]) -> Decision:
    fields = Fields(data)
    note = fields.take("note", parse_note, required=False)
    fields.check()
    return Decision(reason=None, note=note or None)


def parse_rejection(data: Mapping[str, Any]) -> Decision:
    fields = Fields(data)
    reason = fields.take("reason", parse_reason)
    note = fields.take("note", parse_note, required=False)
    explanation = fields.take("explanation", parse_explanation, required=False)
    legal_ground = fields.take("legal_ground", parse_legal_ground, required=False)
    fields.check()
    return Decision(
        reason=reason,
        note=note or None,
        explanation=explanation or None,
        legal_ground=legal_ground or None,
    )


EXPLANATION_MAX = 2000
LEGAL_GROUND_MAX = 500


def parse_explanation(value: Any) -> str:
    return _bounded(clean_body(_string(value)), 0, EXPLANATION_MAX)


def parse_legal_ground(value: Any) -> str:
    return _bounded(clean_body(_string(value)), 0, LEGAL_GROUND_MAX)


def whole_in(low: int, high: int) -> Callable[[Any], int]:
    """A JSON whole number from low to high (not a boolean, which Python counts as one)."""

    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise FieldError("", f"must be a whole number from {low} to {high:,}")
        return value

    return parse


def boolean(value: Any) -> bool:
    """A JSON true or false."""
    if not isinstance(value, bool):
        raise FieldError("", "must be true or false")
    return value


# Site settings (PATCH /v1/sites/{site}/settings).
# A news site's lists run to hundreds of insults, slurs and spam phrases of a few words each. The
# limits keep the rules of any allowed settings quick to build and every comment quick to match
# (bench/adversarial.py searches for the worst case).
MAX_TERMS = 1_000  # per list
MAX_TERM_LENGTH = 100  # characters, after clean-up
MAX_TERM_WORDS = 5  # "go back where you came from"; each word more is more work per position
MAX_TERMS_LENGTH = 20_000  # characters per list, all terms together
MAX_SENDER_NAME = 100
MAX_URL_LENGTH = 2000


def _term(value: Any) -> str:
    try:
        cleaned = clean_line(value) if isinstance(value, str) else ""
    except InvalidText:
        cleaned = ""
    if not cleaned or len(cleaned) > MAX_TERM_LENGTH:
        raise FieldError("", f"must be text of 1 to {MAX_TERM_LENGTH} characters")
    if len(match_key(cleaned).split()) > MAX_TERM_WORDS:
        raise FieldError("", f"must have at most {MAX_TERM_WORDS} words")
    return cleaned


def _terms(value: Any) -> tuple[str, ...]:
    """Raises FieldError naming the list ("") or the first bad item ("[3]")."""
    if not isinstance(value, list):
        raise FieldError("", "must be a list of words or phrases")
    if len(value) > MAX_TERMS:
        raise FieldError("", f"must have at most {MAX_TERMS:,} terms (got {len(value):,})")
    terms: dict[str, None] = {}
    for position, item in enumerate(value):
        try:
            terms[_term(item)] = None
        except FieldError as exc:
            raise FieldError(f"[{position}]", exc.message) from None
    length = sum(map(len, terms))
    if length > MAX_TERMS_LENGTH:
        raise FieldError(
            "", f"must hold at most {MAX_TERMS_LENGTH:,} characters in all (got {length:,})"
        )
    return tuple(terms)


def _optional(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`null` or an empty string clears the setting."""

    def parse_or_clear(value: Any) -> Any:
        return None if value is None or value == "" else parse(value)

    return parse_or_clear


def _sender_name(value: Any) -> str:
    try:
        name = clean_name(value) if isinstance(value, str) else ""
    except InvalidText:
        name = ""
    if not name or len(name) > MAX_SENDER_NAME:
        raise FieldError("", f"must be text of 1 to {MAX_SENDER_NAME} characters")
    return name


def _web_address(value: Any) -> str:
    """An absolute http(s) URL without credentials, as mails link to it."""
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        raise FieldError("", f"must be an http:// or https:// URL of at most {MAX_URL_LENGTH}")
    if any(c.isspace() or not c.isprintable() for c in value):
        raise FieldError("", "must not contain spaces or control characters")
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise FieldError("", "must be a valid http:// or https:// URL") from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise FieldError("", "must be an http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        raise FieldError("", "must not contain a user name or password")
    return value


MAX_REDRESS_LENGTH = 2000


def _redress(value: Any) -> str:
    try:
        text = clean_body(value) if isinstance(value, str) else ""
    except InvalidText:
        text = ""
    if not text.strip() or len(text) > MAX_REDRESS_LENGTH:
        raise FieldError("", f"must be text of 1 to {MAX_REDRESS_LENGTH:,} characters")
    return text


# Retention (issue 13): days, up to ten years; only JSON null (not "") keeps forever.
RETENTION_DAYS_MAX = 3650


def _days_or_forever(value: Any) -> int | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= RETENTION_DAYS_MAX
    ):
        raise FieldError(
            "", f"must be a whole number of days from 1 to {RETENTION_DAYS_MAX:,}, or null (kept)"
        )
    return value


SETTINGS_PARSERS: Mapping[str, Callable[[Any], Any]] = {
    "policy": one_of(Policy),
    "max_links": whole_in(0, 100),
    "banned_terms": _terms,
    "suspect_terms": _terms,
    "flood_seconds": whole_in(0, 86_400),
    "hourly_limit": whole_in(0, 100_000),
    "mail_sender_name": _optional(_sender_name),
    "mail_reply_to": _optional(parse_email),
    "language": one_of(Language),
    "public_url": _optional(_web_address),
    "terms_url": _optional(_web_address),
    "report_threshold": whole_in(1, 1000),
    "report_action": one_of(ReportAction),
    "require_verified_email": boolean,
    "statement_of_reasons": one_of(StatementPolicy),
    "redress_text": _optional(_redress),
    "retain_ip_days": _days_or_forever,
    "retain_email_days": _days_or_forever,
    "purge_rejected_days": _days_or_forever,
    "purge_spam_days": _days_or_forever,
    "purge_unverified_days": _days_or_forever,
    "retain_deliveries_days": _days_or_forever,
}


def parse_settings_patch(data: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a PATCH changes, by name; the others stay as they are."""
    errors: list[FieldError] = [
        FieldError(k, "is not a setting") for k in data if k not in SETTINGS_PARSERS
    ]
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name not in SETTINGS_PARSERS:
            continue
        try:
            changes[name] = SETTINGS_PARSERS[name](value)
        except FieldError as exc:
            errors.append(FieldError(name + exc.field, exc.message))
    if errors:
        raise Invalid(errors)
    return changes


# Reader reports (POST /v1/comments/{id}/reports).
REPORT_EXPLANATION_MAX = 2000
LEGAL_GROUND_MAX = 500


def _report_text(high: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        return _bounded(clean_body(_string(value)), 0, high)

    return parse


@dataclass(frozen=True, slots=True)
class ReportInput:
    category: ReportCategory
    explanation: str | None
    legal_ground: str | None
    reporter_name: str | None
    reporter_email: str | None
    good_faith: bool
    # The form's hidden `url` field, as on the comment form: only bots fill it.
    honeypot: bool = False


def parse_report(data: Mapping[str, Any]) -> ReportInput:
    fields = Fields(data)
    category = fields.take("category", one_of(ReportCategory))
    explanation = fields.take("explanation", _report_text(REPORT_EXPLANATION_MAX), required=False)
    legal_ground = fields.take("legal_ground", _report_text(LEGAL_GROUND_MAX), required=False)
    name = fields.take("reporter_name", parse_name, required=False)
    email = fields.take("reporter_email", parse_email, required=False)
    good_faith = fields.take("good_faith", parse_flag, required=False)
    if category == ReportCategory.ILLEGAL_CONTENT:
        if not explanation:
            fields.errors.append(
                FieldError("explanation", "is required for a report of illegal content")
            )
        if not good_faith:
            fields.errors.append(
                FieldError("good_faith", "must be true for a report of illegal content")
            )
    fields.check()
    assert category is not None
    trap = data.get(HONEYPOT_FIELD)
    honeypot = bool(trap.strip()) if isinstance(trap, str) else trap is not None
    return ReportInput(
        category=category,
        explanation=explanation or None,
        legal_ground=legal_ground or None,
        reporter_name=name or None,
        reporter_email=email or None,
        good_faith=bool(good_faith),
        honeypot=honeypot,
    )


@dataclass(frozen=True, slots=True)
class ReportResolution:
    action: Resolution
    reason: Reason | None
    explanation: str | None


def parse_resolution(data: Mapping[str, Any]) -> ReportResolution:
    fields = Fields(data)
    action = fields.take("action", one_of(Resolution))
    reason = fields.take("reason", parse_reason, required=False)
    explanation = fields.take("explanation", _report_text(REPORT_EXPLANATION_MAX), required=False)
    if action == Resolution.REMOVE and reason is None and "reason" not in data:
        fields.errors.append(FieldError("reason", "is required to remove a comment"))
    fields.check()
    assert action is not None
    return ReportResolution(action, reason, explanation or None)
