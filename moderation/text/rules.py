"""A site's word rules: banned and suspect terms, reserved names and link limits, compiled once
and applied to a comment's folded keys. Only an exact banned term rejects; all else flags."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from moderation.text.fold import (
    FoldedText,
    arabizi_key,
    fold,
    mixes_latin_with_lookalikes,
    without_clitics,
)

BUILT_IN_RESERVED_NAMES = (
    "admin",
    "administrator",
    "moderator",
    "editor",
    "مشرف",
    "المشرف",
    "المحرر",
    "الإدارة",
    "إدارة الموقع",
    "مدير الموقع",
)
EXCERPT_LENGTH = 80
MOSTLY_LINKS_SHARE = 0.5
# Arabic laughter ("ههههه") is ordinary; a comment that is little else, or a run long enough to
# flood the page, is what moderators want to see.
REPEATED_CHARACTER_SHARE = 0.6
REPEATED_CHARACTER_MIN_BODY = 10
REPEATED_CHARACTER_RUN = 30

_GENERIC_TLDS = (
    "com|net|org|info|biz|edu|gov|mil|int|xyz|top|online|site|website|shop|store|app|dev|link|"
    "click|live|vip|win|bet|club|news|blog|page|today|fun|icu|buzz|life|world|media|pro|mobi|name|"
    "asia|tech|space|host|email|cloud|agency|casino|porn|sex|xxx|loan|money"
)
# Bare domains are counted for any two-letter (country) TLD and common generic ones, so that
# "example.com/path" counts but "file.txt" or "3.14" do not.
_LINK = re.compile(
    rf"""
    https?://[^\s<>"'«»]+
    | (?<![a-z0-9.@/_-]) www\.[a-z0-9-]+[^\s<>"'«»]*
    | (?<![a-z0-9.@/_-]) (?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+ (?:[a-z]{{2}}|{_GENERIC_TLDS})
      (?![a-z0-9-]) (?:[/?#][^\s<>"'«»]*)?
    """,
    re.VERBOSE,
)
_LINK_TRAILING_PUNCTUATION = ".,;:!?)]}'\"،؛؟"
_LONG_RUN = re.compile(rf"(\S)\1{{{REPEATED_CHARACTER_RUN - 1},}}")


FlagKind = Literal[
    "suspect_term",
    "loose_match",
    "too_many_links",
    "mostly_links",
    "repeated_characters",
    "homoglyph_name",
    "reserved_name",
]


@dataclass(frozen=True, slots=True)
class Flag:
    """Why a comment needs a moderator's eye."""

    kind: FlagKind
    term: str | None = None  # as the site wrote it, never folded
    excerpt: str | None = None  # at most EXCERPT_LENGTH characters of the original text

    def as_json(self) -> dict[str, str]:
        fields = {"kind": self.kind, "term": self.term, "excerpt": self.excerpt}
        return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the word rules make of a comment: rejected on a banned term, else flags (if any)."""

    banned_term: str | None  # set: reject automatically, with this term as the reason
    flags: tuple[Flag, ...]


@dataclass(frozen=True, slots=True)
class _Term:
    written: str
    banned: bool


@dataclass(frozen=True, slots=True)
class _Match:
    term: _Term
    first: int  # positions in the scanned token stream, inclusive
    last: int


@dataclass(frozen=True, slots=True)
class _Found:
    term: _Term
    loosely: bool
    span: tuple[int, int]  # offsets into the original text


class _PhraseIndex:
    """Terms as token tuples keyed by their first token, so a scan tries at each position only
    the terms that begin with one of that position's readings."""

    def __init__(self) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], _Term]]] = {}

    def add(self, key: Sequence[str], term: _Term) -> None:
        if key:
            self._by_first.setdefault(key[0], []).append((tuple(key[1:]), term))

    def find(
        self, positions: Sequence[Collection[str]], *, skipping: Collection[_Term] = ()
    ) -> Iterator[_Match]:
        by_first = self._by_first
        for start, readings in enumerate(positions):
            for reading in readings:
                for rest, term in by_first.get(reading, ()):
                    last = start + len(rest)
                    if (
                        term not in skipping
                        and last < len(positions)
                        and all(word in positions[start + n] for n, word in enumerate(rest, 1))
                    ):
                        yield _Match(term, start, last)


class _Matcher:
    """Exact, loose and Arabizi indexes over one list of terms."""

    def __init__(self, terms: Sequence[tuple[str, bool]]) -> None:
        self.exact = _PhraseIndex()
        self.loose = _PhraseIndex()
        self.arabizi: dict[str, _Term] = {}
        seen: set[tuple[str, ...]] = set()
        for written, banned in terms:
            folded = fold(written)
            if not folded.tokens or folded.tokens in seen:
                continue
            seen.add(folded.tokens)
            term = _Term(written, banned)
            self.exact.add(folded.tokens, term)
            loose = folded.loose()
            self.loose.add(loose.keys, term)
            if len(loose.joined) == 1:
                word = loose.joined[0]
                key = loose.arabizi[0] or (arabizi_key(word) if _is_arabic(word) else "")
                if key:
                    self.arabizi.setdefault(key, term)

    def scan(self, folded: FoldedText) -> Iterator[_Found]:
        """Every term found, exactly first; a term found exactly is not reported again loosely."""
        found: set[_Term] = set()
        positions = [without_clitics(token) for token in folded.tokens]
        for match in self.exact.find(positions, skipping=found):
            found.add(match.term)
            yield _Found(match.term, False, folded.token_span(match.first, match.last))
        loose = folded.loose()
        for match in self.loose.find(loose.readings, skipping=found):
            found.add(match.term)
            first, last = loose.chunks[match.first][0], loose.chunks[match.last][1]
            yield _Found(match.term, True, folded.chunk_span(first, last))
        for position, key in enumerate(loose.arabizi):
            term = self.arabizi.get(key) if key else None
            if term is not None and term not in found:
                found.add(term)
                yield _Found(term, True, folded.chunk_span(*loose.chunks[position]))


def _is_arabic(word: str) -> bool:
    return any("\u0621" <= char <= "\u064a" for char in word) and word.isalpha()


def _excerpt(text: str, start: int, end: int) -> str:
    """About EXCERPT_LENGTH characters of text around text[start:end], marked with … where cut."""
    budget = EXCERPT_LENGTH - 2  # room for the two ellipses
    if end - start >= budget:
        left, right = start, start + budget
    else:
        left = max(0, start - (budget - (end - start)) // 2)
        right = min(len(text), left + budget)
        left = max(0, right - budget)
    while left < start and unicodedata.combining(text[left]):  # don't open on a lone mark
        left += 1
    excerpt = text[left:right].strip()
    return ("…" if left > 0 else "") + excerpt + ("…" if right < len(text) else "")


def _links(surface: str) -> list[tuple[int, int]]:
    spans = []
    for match in _LINK.finditer(surface):
        end = match.start() + len(match[0].rstrip(_LINK_TRAILING_PUNCTUATION))
        spans.append((match.start(), end))
    return spans


class SiteRules:
    """One site's compiled rules; build once per site and cache it."""

    def __init__(
        self,
        *,
        banned_terms: Sequence[str],
        suspect_terms: Sequence[str],
        max_links: int = 2,
        reserved_names: Sequence[str] = (),
    ) -> None:
        if max_links < 0:
            raise ValueError("max_links must not be negative")
        self.max_links = max_links
        self._terms = _Matcher(
            [(term, True) for term in banned_terms] + [(term, False) for term in suspect_terms]
        )
        names = [*reserved_names, *BUILT_IN_RESERVED_NAMES]
        self._reserved = _Matcher([(name, False) for name in names])

    def evaluate(self, *, name: str, body: str, website: str | None = None) -> Verdict:
        flags: dict[tuple[FlagKind, str | None], Flag] = {}

        def flag(kind: FlagKind, term: str | None, text: str, span: tuple[int, int]) -> None:
            flags.setdefault((kind, term), Flag(kind, term, _excerpt(text, *span)))

        banned_term = None
        folded_body = fold(body)
        folded_name = fold(name)
        for folded in (folded_body, folded_name, fold(website or "")):
            for found in self._terms.scan(folded):
                if found.term.banned and not found.loosely:
                    banned_term = banned_term or found.term.written
                else:
                    kind: FlagKind = "loose_match" if found.loosely else "suspect_term"
                    flag(kind, found.term.written, folded.original, found.span)

        links = _links(folded_body.surface)
        if len(links) > self.max_links:
            flag("too_many_links", None, body, folded_body.surface_span(*links[self.max_links]))
        link_characters = sum(end - start for start, end in links)
        if links and link_characters > MOSTLY_LINKS_SHARE * _non_space_length(folded_body.surface):
            flag("mostly_links", None, body, folded_body.surface_span(*links[0]))
        repeated = _repeated_character_span(folded_body.surface)
        if repeated:
            flag("repeated_characters", None, body, folded_body.surface_span(*repeated))

        if any(mixes_latin_with_lookalikes(word) for word in name.split()):
            flag("homoglyph_name", None, name, (0, len(name)))
        reserved = next(self._reserved.scan(folded_name), None)
        if reserved:  # one is enough: "المشرف" imitates both "مشرف" and "المشرف"
            flag("reserved_name", reserved.term.written, name, (0, len(name)))
        return Verdict(banned_term=banned_term, flags=tuple(flags.values()))


def _non_space_length(surface: str) -> int:
    return len(surface) - surface.count(" ")


def _repeated_character_span(surface: str) -> tuple[int, int] | None:
    """Where a body is mostly one character (the whole body), or floods with a long run of one."""
    run = _LONG_RUN.search(surface)
    if run:
        return run.span()
    characters = surface.replace(" ", "")
    if len(characters) < REPEATED_CHARACTER_MIN_BODY:
        return None
    most_common = max(set(characters), key=characters.count)
    if characters.count(most_common) > REPEATED_CHARACTER_SHARE * len(characters):
        return (0, len(surface))
    return None
