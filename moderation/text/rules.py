"""A site's word rules: banned and suspect terms, reserved names and link limits, compiled once
and applied to a comment's folded keys. Only an exact banned term rejects; all else flags."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator, KeysView, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, count
from operator import attrgetter, itemgetter, not_
from typing import Literal

from .fold import FoldedText, Folder
from .folding import (
    clitic_forms,
    is_word_character,
    mixes_latin_with_lookalikes,
    plain_words,
)
from .loose import arabizi_key

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
# Every link the pattern finds contains "://" or a match of this pattern, and both are far cheaper
# to look for: the pattern starts with a fixed character.
_LINK_DOT = re.compile(r"\.(?<=[a-z0-9]\.)[a-z0-9-]")
_LINK_TRAILING_PUNCTUATION = ".,;:!?)]}'\"،؛؟"
_LONG_RUN = re.compile(rf"(\S)\1{{{REPEATED_CHARACTER_RUN - 1},}}")
_PAIR = re.compile(r"(.)\1", re.DOTALL)


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
    # fold.duplicate_key(body), from the folding the rules already did; not part of the verdict.
    duplicate_key: str = field(default="", compare=False, repr=False)


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
    # The term's own words stand there, as whole words, in the text as written (up to case and
    # Arabic diacritics): what a banned term needs to reject without a moderator.
    literal: bool = False


# Partial phrase matches carried from one position to the next, at most. Ordinary lists and
# comments carry a few; each costs a dictionary lookup per reading per position.
MAX_PARTIAL_MATCHES = 4


class _Node:
    """A node of the word trie: the words that may follow, and the terms that end here."""

    __slots__ = ("children", "ends", "terms")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.ends: list[tuple[int, _Term]] = []  # (order of addition, term)
        self.terms = 0  # ending here or further down


class _PhraseIndex:
    """Terms as a trie of their words. A scan walks the text once and carries, from one position
    to the next, only the partial matches that can still grow: at most one per trie node, and a
    term has at most MAX_TERM_WORDS words, so the cost grows with the text, never with terms ×
    positions (trying each term at each position took 10 s on 630 phrases of "a a a … a N").
    A term is reported once, and a node whose terms are all found is no longer walked."""

    def __init__(self) -> None:
        self._root = _Node()
        self._paths: dict[_Term, tuple[str, tuple[_Node, ...]]] = {}

    @property
    def first_words(self) -> KeysView[str]:
        return self._root.children.keys()

    def add(self, key: Sequence[str], term: _Term) -> None:
        if not key or term in self._paths:
            return
        node, path = self._root, []
        for word in key:
            node = node.children.setdefault(word, _Node())
            node.terms += 1
            path.append(node)
        node.ends.append((len(self._paths), term))
        self._paths[term] = (key[0], tuple(path))

    def find(
        self, positions: Sequence[Sequence[str]], *, skipping: Collection[_Term] = ()
    ) -> list[_Match]:
        """Each term's first match, in the order of its start, then of the reading its first
        word matched, then of addition. Positions hold their readings, the plainest first."""
        first = self._root.children
        found: dict[_Term, tuple[int, int, int, _Match]] = {}
        left: dict[_Node, int] = {}  # terms not yet found under a node, once one of them is
        # The first words that may still start a match. Positions that start nothing are passed
        # over in C (map() reads `live` as it shrinks).
        live = set(first)
        starts = compress(count(), map(not_, map(live.isdisjoint, positions)))

        def finish(term: _Term) -> None:
            word, path = self._paths[term]
            for node in path:
                left[node] = left.get(node, node.terms) - 1
            if not left[path[0]]:
                live.discard(word)

        for term in skipping:
            if term in self._paths:
                finish(term)
        index = 0  # the first position not yet walked
        for start in starts:
            if start < index:  # already walked, carrying a partial match
                continue
            index = start
            # Partial matches ending at the previous position: trie node → (start, reading).
            growing: dict[_Node, tuple[int, int]] = {}
            while True:
                readings = positions[index]
                grown: dict[_Node, tuple[int, int]] = {}
                for node, origin in growing.items():
                    children = node.children
                    for reading in readings:
                        child = children.get(reading)
                        if child is not None and child not in grown:
                            grown[child] = origin
                for rank, reading in enumerate(readings):
                    if reading in live and first[reading] not in grown:
                        grown[first[reading]] = (index, rank)
                growing = {}
                for node, origin in grown.items():
                    for order, term in node.ends:
                        if term not in found and term not in skipping:
                            found[term] = (*origin, order, _Match(term, origin[0], index))
                            finish(term)
                    if node.children and (node not in left or left[node]):
                        growing[node] = origin
                if len(growing) > MAX_PARTIAL_MATCHES:
                    # Only lists made to be slow get here (phrases of every mix of "a" and "aa"
                    # on "aaa aaa …"): the longest partial matches go on, and that list's site
                    # may miss a match; every other site's comments keep their time.
                    growing = dict(list(growing.items())[:MAX_PARTIAL_MATCHES])
                index += 1
                if not growing or index == len(positions):
                    break
        return [match for *_, match in sorted(found.values(), key=_ORDER)]


_ORDER = itemgetter(0, 1, 2)


class _Matcher:
    """Exact, loose and Arabizi indexes over one list of terms."""

    def __init__(self, terms: Sequence[tuple[str, bool]], folder: Folder) -> None:
        self._folder = folder
        self.exact = _PhraseIndex()
        self.loose = _PhraseIndex()
        self.arabizi: dict[str, _Term] = {}
        seen: set[tuple[str, ...]] = set()
        for written, banned in terms:
            folded = folder.fold(written)
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
        # The tokens that start an exact match, clitics and all: most comments have none.
        self._exact_starters = frozenset(
            chain.from_iterable(map(clitic_forms, self.exact.first_words))
        )

    def scan(self, folded: FoldedText) -> Iterator[_Found]:
        """Every term found, exactly first; a term found exactly is not reported again loosely."""
        found: set[_Term] = set()
        tokens = folded.tokens
        if not self._exact_starters.isdisjoint(tokens):
            positions = list(map(self._folder.without_clitics, tokens))
            for match in self.exact.find(positions):
                found.add(match.term)
                span = folded.token_span(match.first, match.last)
                literal = match.term.banned and _is_literal(folded.original, span, match.term)
                yield _Found(match.term, False, span, literal)
        chunks = folded.loose_chunks()
        readings = list(map(_READINGS, chunks))
        if not self.loose.first_words.isdisjoint(chain.from_iterable(readings)):
            for match in self.loose.find(readings, skipping=found):
                found.add(match.term)
                first = folded.loose_bounds(match.first)[0]
                last = folded.loose_bounds(match.last)[1]
                yield _Found(match.term, True, folded.chunk_span(first, last))
        if not self.arabizi.keys().isdisjoint(map(_ARABIZI, chunks)):
            terms = list(map(self.arabizi.get, map(_ARABIZI, chunks)))
            for position, term in enumerate(terms):
                if term is not None and term not in found:
                    found.add(term)
                    yield _Found(term, True, folded.chunk_span(*folded.loose_bounds(position)))


_READINGS = attrgetter("readings")
_ARABIZI = attrgetter("arabizi")


@dataclass(frozen=True, slots=True)
class _Author:
    terms: tuple[_Found, ...]  # site terms found in the name
    lookalike: bool  # mixes Latin with look-alike letters
    reserved: str | None  # the reserved name it imitates, as the site wrote it


_REMEMBERED_NAMES = 10_000


def _is_arabic(word: str) -> bool:
    return any("\u0621" <= char <= "\u064a" for char in word) and word.isalpha()


def _is_literal(text: str, span: tuple[int, int], term: _Term) -> bool:
    """Whether text[span] is the term itself, standing as whole words: not a stem left after a
    clitic was taken off ("وزير" is not "زير"), nor a match made by folding letters, joining
    letters or reading look-alikes."""
    start, end = span
    if start > 0 and is_word_character(text[start - 1]):
        return False
    if end < len(text) and is_word_character(text[end]):
        return False
    return plain_words(text[start:end]) == plain_words(term.written)


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
    # A link holds no whitespace and some hint: only the words with a hint are searched.
    spans: list[tuple[int, int]] = []
    searched = 0
    scheme = surface.find("://")  # the first "://" from `searched` on: looked for again only
    # once passed, or a body of bare domains would search its whole rest for one each word
    while True:
        if 0 <= scheme < searched:
            scheme = surface.find("://", searched)
        hint = _link_hint(surface, searched, scheme)
        if hint < 0:
            return spans
        word_end = surface.find(" ", hint)
        word_end = len(surface) if word_end < 0 else word_end
        start = max(searched, surface.rfind(" ", 0, hint) + 1)
        for match in _LINK.finditer(surface, start, word_end):
            end = match.start() + len(match[0].rstrip(_LINK_TRAILING_PUNCTUATION))
            spans.append((match.start(), end))
        searched = word_end


def _link_hint(surface: str, start: int, scheme: int) -> int:
    """Where the first "://" or _LINK_DOT from `start` on is, or -1, given `scheme`, where the
    first "://" from `start` on is (or -1)."""
    dot = _LINK_DOT.search(surface, start, scheme + 3 if scheme >= 0 else len(surface))
    return dot.start() if dot and (scheme < 0 or dot.start() < scheme) else scheme


class SiteRules:
    """One site's compiled rules; build once per site and cache it."""

    def __init__(
        self,
        *,
        banned_terms: Sequence[str],
        suspect_terms: Sequence[str],
        max_links: int = 2,
        reserved_names: Sequence[str] = (),
        folder: Folder | None = None,
    ) -> None:
        """`folder`: the app's (SiteDirectory's), so every site's rules share what was folded;
        by default one of their own."""
        if max_links < 0:
            raise ValueError("max_links must not be negative")
        self.max_links = max_links
        self._folder = folder = folder or Folder()
        self._terms = _Matcher(
            [(term, True) for term in banned_terms] + [(term, False) for term in suspect_terms],
            folder,
        )
        names = [*reserved_names, *BUILT_IN_RESERVED_NAMES]
        self._reserved = _Matcher([(name, False) for name in names], folder)
        self._names: dict[str, _Author] = {}

    def _judge_name(self, name: str) -> _Author:
        """What the rules make of an author's name, remembered: authors post again and again."""
        author = self._names.get(name)
        if author is None:
            folded = self._folder.fold(name)
            reserved = next(self._reserved.scan(folded), None)
            author = _Author(
                terms=tuple(self._terms.scan(folded)),
                lookalike=any(mixes_latin_with_lookalikes(word) for word in name.split()),
                # One is enough: "المشرف" imitates both "مشرف" and "المشرف".
                reserved=reserved.term.written if reserved else None,
            )
            if len(self._names) >= _REMEMBERED_NAMES:
                self._names.clear()
            self._names[name] = author
        return author

    def evaluate(self, *, name: str, body: str, website: str | None = None) -> Verdict:
        flags: dict[tuple[FlagKind, str | None], Flag] = {}

        def flag(kind: FlagKind, term: str | None, text: str, span: tuple[int, int]) -> None:
            flags.setdefault((kind, term), Flag(kind, term, _excerpt(text, *span)))

        banned_term = None
        folded_body = self._folder.fold(body)
        author = self._judge_name(name)
        texts = [(body, self._terms.scan(folded_body)), (name, author.terms)]
        if website:
            texts.append((website, self._terms.scan(self._folder.fold(website))))
        for text, founds in texts:
            for found in founds:
                if found.term.banned and found.literal:
                    banned_term = banned_term or found.term.written
                else:
                    # A banned term found only through folding, a clitic or joined letters may
                    # be an innocent word ("وزير", minister, holds "زير"): a moderator decides.
                    loosely = found.loosely or found.term.banned
                    kind: FlagKind = "loose_match" if loosely else "suspect_term"
                    flag(kind, found.term.written, text, found.span)

        links = _links(folded_body.surface)
        if len(links) > self.max_links:
            flag("too_many_links", None, body, folded_body.surface_span(*links[self.max_links]))
        link_characters = sum(end - start for start, end in links)
        if links and link_characters > MOSTLY_LINKS_SHARE * _non_space_length(folded_body.surface):
            flag("mostly_links", None, body, folded_body.surface_span(*links[0]))
        repeated = _repeated_character_span(folded_body.surface)
        if repeated:
            flag("repeated_characters", None, body, folded_body.surface_span(*repeated))

        if author.lookalike:
            flag("homoglyph_name", None, name, (0, len(name)))
        if author.reserved:
            flag("reserved_name", author.reserved, name, (0, len(name)))
        return Verdict(
            banned_term=banned_term,
            flags=tuple(flags.values()),
            duplicate_key=folded_body.duplicate_key(),
        )


def _non_space_length(surface: str) -> int:
    return len(surface) - surface.count(" ")


def _repeated_character_span(surface: str) -> tuple[int, int] | None:
    """Where a body is mostly one character (the whole body), or floods with a long run of one."""
    # Only characters seen side by side, and often, need counting. Once the spaces are gone, a run
    # of r gives r // 2 of findall()'s pairs; a character filling more than 60% of n characters
    # lies in at most 40% of n + 1 runs, which give more than n / 10 - 1/2 pairs (the bound below
    # is one lower, a margin for float rounding).
    characters = surface.replace(" ", "")
    pairs = _PAIR.findall(characters)
    counted = {char: pairs.count(char) for char in set(pairs)}
    runs = [
        surface.find(char * REPEATED_CHARACTER_RUN)
        for char, pairs_of_char in counted.items()
        if pairs_of_char >= REPEATED_CHARACTER_RUN // 2 and not char.isspace()
    ]
    first_run = min((start for start in runs if start >= 0), default=None)
    if first_run is not None:
        run = _LONG_RUN.match(surface, first_run)
        assert run is not None
        return run.span()
    if len(characters) < REPEATED_CHARACTER_MIN_BODY:
        return None
    share = REPEATED_CHARACTER_SHARE * len(characters)
    fewest_pairs = (2 * share - len(characters) - 1) / 2 - 1
    candidates = [char for char, pairs_of_char in counted.items() if pairs_of_char > fewest_pairs]
    if any(characters.count(char) > share for char in candidates):
        return (0, len(surface))
    return None
