"""Site settings (admin token): moderation policy, word rules, link and rate limits, and how the
site's mail reads (sender name, reply-to, language, its public and terms URLs)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from ..auth import require_site
from ..db import POOL
from ..directory import SITES
from ..domain import Language, Policy, Role, SiteSettings
from ..errors import FieldError, Invalid
from ..ratelimit.refusals import REFUSALS
from ..schemas import one_of, parse_email, read_payload
from ..service import admin
from ..text.fold import match_key
from ..text.hygiene import InvalidText, clean_line, clean_name
from ..views import json_response

routes = web.RouteTableDef()
PATH = "/v1/sites/{site}/settings"
# A news site's lists run to hundreds of insults, slurs and spam phrases of a few words each. The
# limits keep the rules of any allowed settings quick to build and every comment quick to match
# (bench/adversarial.py searches for the worst case).
MAX_TERMS = 1_000  # per list
MAX_TERM_LENGTH = 100  # characters, after clean-up
MAX_TERM_WORDS = 5  # "go back where you came from"; each word more is more work per position
MAX_TERMS_LENGTH = 20_000  # characters per list, all terms together
MAX_SENDER_NAME = 100
MAX_URL_LENGTH = 2000


def settings_view(settings: SiteSettings) -> dict[str, Any]:
    return {
        "policy": settings.policy.value,
        "max_links": settings.max_links,
        "banned_terms": list(settings.banned_terms),
        "suspect_terms": list(settings.suspect_terms),
        "flood_seconds": settings.flood_seconds,
        "hourly_limit": settings.hourly_limit,
        "mail_sender_name": settings.mail_sender_name,
        "mail_reply_to": settings.mail_reply_to,
        "language": settings.language.value,
        "public_url": settings.public_url,
        "terms_url": settings.terms_url,
    }


def _whole(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise FieldError("", f"must be a whole number from {low} to {high:,}")
        return value

    return parse


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


PARSERS: Mapping[str, Callable[[Any], Any]] = {
    "policy": one_of(Policy),
    "max_links": _whole(0, 100),
    "banned_terms": _terms,
    "suspect_terms": _terms,
    "flood_seconds": _whole(0, 86_400),
    "hourly_limit": _whole(0, 100_000),
    "mail_sender_name": _optional(_sender_name),
    "mail_reply_to": _optional(parse_email),
    "language": one_of(Language),
    "public_url": _optional(_web_address),
    "terms_url": _optional(_web_address),
}


def parse_patch(data: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a PATCH changes, by name; the others stay as they are."""
    errors: list[FieldError] = [FieldError(k, "is not a setting") for k in data if k not in PARSERS]
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name not in PARSERS:
            continue
        try:
            changes[name] = PARSERS[name](value)
        except FieldError as exc:
            errors.append(FieldError(name + exc.field, exc.message))
    if errors:
        raise Invalid(errors)
    return changes


@routes.get(PATH)
async def get_settings(request: web.Request) -> web.Response:
    await require_site(request, Role.ADMIN)
    site = await request.app[SITES].get(request.match_info["site"])
    return json_response(settings_view(site.settings), headers={"Cache-Control": "no-store"})


@routes.patch(PATH)
async def patch_settings(request: web.Request) -> web.Response:
    await require_site(request, Role.ADMIN)
    directory = request.app[SITES]
    site = await directory.get(request.match_info["site"])
    changes = parse_patch(await read_payload(request))
    updated = await admin.change_settings(
        request.app[POOL], directory, request.app[REFUSALS], site, changes
    )
    return json_response(settings_view(updated), headers={"Cache-Control": "no-store"})
