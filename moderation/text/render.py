"""The one place that turns a cleaned comment body into HTML: bleach escapes markup outside a small
allowlist and links bare URLs, then nh3 re-checks the result against the same allowlist."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import nh3
from bleach.html5lib_shim import Filter  # type: ignore[attr-defined]  # (untyped in the stubs)
from bleach.linkifier import TLDS, LinkifyFilter
from bleach.sanitizer import Cleaner

from moderation.text.hygiene import text_direction

RENDERER_VERSION: int = 1

# WordPress's comment set. Authors may not write <p> or <br>: the renderer adds them itself.
AUTHOR_TAGS = frozenset(
    {"a", "abbr", "b", "blockquote", "cite", "code", "del", "em", "i", "q", "s", "strike", "strong"}
)
ALLOWED_TAGS = AUTHOR_TAGS | {"p", "br"}
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "title"}),
    "abbr": frozenset({"title"}),
    "blockquote": frozenset({"cite"}),
    "q": frozenset({"cite"}),
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_URL_ATTRIBUTES = frozenset({"href", "cite"})
# Absolute URLs only: bleach keeps relative ones (href="x") and nh3 (url_relative="deny") doesn't.
_ALLOWED_URL = re.compile(rf"(?:{'|'.join(sorted(ALLOWED_PROTOCOLS))}):", re.IGNORECASE)

# bleach's URL pattern (linkifier.build_url_re) with two changes. Only our protocols: by default it
# also links ftp:, data: and twenty more, and nothing checks a link it made. And a match may start
# only where a word starts, not inside a run of "(" or of word characters, dots and hyphens: with
# bleach's pattern, 10,000 characters of "a.b-" took 10 s and of "(" 1 s.
# It stops at U+E000 too, the stand-in for a lone "<" (render_body).
_URL = re.compile(
    r"""(?<!\()\(*(?<![\w@.])(?<![\w@.\-]-)(?=\w)
    (?:(?:{protocols}):/{{0,3}}(?:(?:\w+:)?\w+@)?)?
    ([\w-]+\.)+(?:{tlds})(?:\:[0-9]+)?(?!\.\w)\b
    (?:[/?][^\s\{{\}}\|\\\^`<>"\ue000]*)?""".format(
        protocols="|".join(sorted(ALLOWED_PROTOCOLS)), tlds="|".join(sorted(TLDS))
    ),
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    direction: Literal["rtl", "ltr"]


def _is_allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
        return False
    return name not in _URL_ATTRIBUTES or _ALLOWED_URL.match(value) is not None


def _checked_cite(tag: str, name: str, value: str) -> str | None:
    # nh3 checks the scheme of href but not of cite (and passes the rel it sets through here too).
    return None if name == "cite" and _ALLOWED_URL.match(value) is None else value


LinkAttributes = MutableMapping[tuple[str | None, str], str]


def _set_link_rel(attrs: LinkAttributes, new: bool = False) -> LinkAttributes:
    attrs.pop((None, "rel"), None)  # re-added last, where nh3 puts it, so the gate changes nothing
    attrs[(None, "rel")] = LINK_REL
    return attrs


class _LineBreakFilter(Filter):  # type: ignore[misc]
    """Turns newlines in text into <br> after sanitizing, so the author's own <br> is still
    escaped and newlines inside attribute values are left alone."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for token in super().__iter__():
            if token["type"] not in ("Characters", "SpaceCharacters") or "\n" not in token["data"]:
                yield token
                continue
            first, *rest = token["data"].split("\n")
            if first:
                yield {"type": "Characters", "data": first}
            for line in rest:
                yield {"type": "EmptyTag", "name": "br", "data": {}}
                if line:
                    yield {"type": "Characters", "data": line}


def _sanitizer(*, linkify: bool) -> Cleaner:
    linker = partial(LinkifyFilter, url_re=_URL, callbacks=[_set_link_rel], parse_email=False)
    return Cleaner(
        tags=AUTHOR_TAGS,
        attributes=_is_allowed_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=False,
        strip_comments=True,
        filters=[linker, _LineBreakFilter] if linkify else [_LineBreakFilter],
    )


_SANITIZER = _sanitizer(linkify=True)
# Each link bleach makes costs some 20 µs: a body with more possible links than a comment needs
# keeps them as text (the word rules flag it for too many links anyway).
_SANITIZER_WITHOUT_LINKS = _sanitizer(linkify=False)
_POSSIBLE_LINK = re.compile(r"\.[^\W\d_]")
MAX_LINKS = 50
# bleach 6.4.0 is its final release: a bug in it or html5lib must not reach a reader.
_GATE = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    attribute_filter=_checked_cite,
    url_schemes=set(ALLOWED_PROTOCOLS),
    link_rel=LINK_REL,
    url_relative="deny",
    strip_comments=True,
)

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Text without these renders the same through bleach as through html.escape (tested). The linkifier
# needs a "." followed by a top-level domain, which starts with a letter (so "3.5" is plain text);
# "<" and "&" start markup and entities; bleach and html5lib rewrite controls and lone surrogates.
_NEEDS_SANITIZER = re.compile(r"[<&\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]|\.[^\W\d_]")


def _paragraphs(text: str) -> list[str]:
    stripped = text.strip()
    return _PARAGRAPH_BREAK.split(stripped) if stripped else []


def _render_plain(text: str) -> str:
    # "\xa0" as nh3 writes it, so that both paths give the same bytes.
    return "".join(
        "<p>"
        + html.escape(paragraph, quote=False).replace("\xa0", "&nbsp;").replace("\n", "<br>")
        + "</p>"
        for paragraph in _paragraphs(text)
    )


def _render_markup(text: str) -> str:
    # One paragraph at a time, so a tag left open closes at the blank line instead of spanning it.
    # A paragraph holding a <blockquote> stays unwrapped: a browser would end the <p> before it.
    # The linkifier (a fifth of bleach's work on a paragraph) runs only on paragraphs where a
    # link could be: one needs a "." followed by a letter. On the others it would change only
    # the rel of the author's own links, which the gate sets alike (property-tested).
    linkify = len(_POSSIBLE_LINK.findall(text)) <= MAX_LINKS
    blocks = [
        (_SANITIZER if linkify and _POSSIBLE_LINK.search(p) else _SANITIZER_WITHOUT_LINKS).clean(p)
        for p in _paragraphs(text)
    ]
    return _GATE.clean(
        "".join(block if "<blockquote" in block else f"<p>{block}</p>" for block in blocks if block)
    )


# Linear: a match may start only where a run of its first class starts, and classes that follow
# each other are disjoint, so no character is scanned from more than one start (r"\S+@\S+" and
# r"<[^>]*>" were quadratic on long runs: 10,000 characters cost 0.7 s).
_NOT_PROSE = re.compile(
    r"""<[^<>]*>
    | (?<![a-z0-9+.-])[a-z][a-z0-9+.-]*://\S*
    | (?<![a-z0-9.-])www\.\S*
    | (?<![^\s@])[^\s@]+@\S+""",
    re.IGNORECASE | re.VERBOSE,
)


# html5lib spends a token, some microseconds, on each "<" and "&": 10,000 of them cost 60 ms. Those
# that cannot start a tag, comment or character reference are text to it anyway, so they pass as
# private-use stand-ins (clean_body removes private use, so none is in a body) and are escaped
# after; a body with more possible markup than a comment needs is shown as the text it is.
_LONE_MARKUP = re.compile(r"<(?![A-Za-z/!?])|&(?![A-Za-z0-9#])")
_STAND_INS = {"<": "\ue000", "&": "\ue001"}
_ESCAPE_STAND_INS = str.maketrans({"\ue000": "&lt;", "\ue001": "&amp;"})
_POSSIBLE_MARKUP = re.compile(r"[<&][A-Za-z0-9/!?#]")
MAX_MARKUP = 200  # possible tags and references; a comment with 20 links has 80


def _stand_in(match: re.Match[str]) -> str:
    return _STAND_INS[match[0]]


def render_body(text: str) -> Rendered:
    """HTML for a body that clean_body has produced, in a <div> carrying its direction."""
    if _NEEDS_SANITIZER.search(text):
        if len(_POSSIBLE_MARKUP.findall(text)) > MAX_MARKUP:
            content = _render_plain(text)
        else:
            content = _render_markup(_LONE_MARKUP.sub(_stand_in, text))
            content = content.translate(_ESCAPE_STAND_INS)
        # Tags, URLs and addresses are Latin letters the reader doesn't read as prose; counted,
        # a long link would turn a short Arabic comment left-to-right.
        direction = text_direction(_NOT_PROSE.sub(" ", text))
    else:
        content = _render_plain(text)
        direction = text_direction(text)
    return Rendered(html=f'<div dir="{direction}">{content}</div>', direction=direction)
