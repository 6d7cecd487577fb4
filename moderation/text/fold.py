"""Match keys for word rules: a text folded once (folding.py) into its exact token stream, with
its loose reading (loose.py) and the way back to the original (spans.py) on demand. A Folder
remembers the pieces and chunks it has folded; the app owns one (SiteDirectory), the rules use
it. Keys are for matching only; they are never stored or shown."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, chain, compress
from operator import itemgetter
from typing import TypeVar

from .folding import Piece, fold_piece, without_clitics
from .loose import LOOSE_CHUNK, LooseChunk, LooseText, latin_readings, read_chunk
from .spans import find_token_spans, walk_origins

Value = TypeVar("Value")


class Memo(dict[str, Value]):
    """A cache of a pure function of short strings (words, chunks): news comments reuse their
    vocabulary, so most lookups are hits; emptied when full so that it follows what is posted."""

    def __init__(self, convert: Callable[[str], Value], limit: int = 20_000) -> None:
        super().__init__()
        self._convert = convert
        self._limit = limit

    def __missing__(self, key: str) -> Value:
        value = self._convert(key)
        if len(key) <= MEMO_KEY_LENGTH:  # a long key is seldom seen twice
            if len(self) >= self._limit:
                self.clear()
            self[key] = value
        return value


MEMO_KEY_LENGTH = 64


class Folder:
    """What folding remembers: news comments reuse their vocabulary, so most pieces (words),
    loose chunks and spans are folded once. Bounded; owned by whoever folds many texts."""

    def __init__(self, limit: int = 20_000, span_limit: int = 4096) -> None:
        self.pieces: Memo[Piece] = Memo(fold_piece, limit)
        self.loose_chunks: Memo[LooseChunk] = Memo(self._read_chunk, limit)
        self.origins: Memo[tuple[int, ...] | None] = Memo(walk_origins, span_limit)
        self.token_spans: Memo[tuple[tuple[int, int], ...]] = Memo(find_token_spans, span_limit)
        # Spam repeats its chunks.
        self._latin_readings = lru_cache(maxsize=span_limit)(latin_readings)
        # A site's vocabulary repeats: most calls are hits.
        self.without_clitics = lru_cache(maxsize=1 << 16)(without_clitics)

    def _read_chunk(self, chunk: str) -> LooseChunk:
        return read_chunk(chunk, self._latin_readings)

    def fold(self, text: str) -> FoldedText:
        """Fold a text once, for both its exact tokens and (through .loose()) its loose
        reading."""
        # Any whitespace folds to a space: line breaks and the like part pieces too, and keep
        # them free of spaces in the middle, which would make loose_chunks() take the slower way.
        spaced = text.replace("\n", " ").replace("\r", " ").replace("\t", " ").replace("\xa0", " ")
        pieces = tuple(map(self.pieces.__getitem__, spaced.split(" ")))
        return FoldedText(
            original=text,
            surface=" ".join(map(_SURFACE, pieces)),
            tokens=tuple(chain.from_iterable(map(_TOKENS, pieces))),
            _pieces=pieces,
            _folder=self,
        )


# Folding is per character and whitespace folds to a space, so a text folds piece by piece
# between its spaces; NFC never joins across a space and no token spans one, so the pieces'
# tokens are the text's.
_SURFACE, _LETTERS, _JOINED, _LOOSE_KIND, _TOKENS, _CAPPED_TOKENS = map(itemgetter, range(6))
_SURFACE_STEP, _ORIGINAL_STEP, _TOKEN_COUNT = map(itemgetter, range(6, 9))


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A text folded once: `surface` keeps spacing and punctuation (one folded string per
    original character, whitespace as single " "), `tokens` is the exact match key."""

    original: str
    surface: str
    tokens: tuple[str, ...]
    _pieces: tuple[Piece, ...] = field(repr=False, compare=False)
    _folder: Folder = field(repr=False, compare=False)
    # Offsets back into `original`, worked out on the first span asked for: only flagged comments
    # need them.
    _offsets: list[list[int]] = field(default_factory=list, init=False, repr=False, compare=False)
    _loose_chunks: list[LooseChunk] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    # Folder.origins forgets long pieces; each flag asks again, and walking a 10,000-character piece
    # once per flag made hundreds of flags cost hundreds of milliseconds.
    _loose_bounds: list[tuple[int, int]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    _piece_origins: dict[int, tuple[int, ...] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _piece_token_spans: dict[int, tuple[tuple[int, int], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def _piece_offsets(self) -> list[list[int]]:
        """Where each piece starts in the surface and in the original, its first token, and where
        each chunk of surface.split(" ") starts (a piece may fold to more than one chunk)."""
        offsets = self._offsets
        if not offsets:
            pieces = self._pieces
            offsets.append(list(accumulate(map(_SURFACE_STEP, pieces), initial=0)))
            offsets.append(list(accumulate(map(_ORIGINAL_STEP, pieces), initial=0)))
            offsets.append(list(accumulate(map(_TOKEN_COUNT, pieces), initial=0)))
            if 3 in map(_LOOSE_KIND, pieces):  # a piece folded to more than one chunk
                offsets.append(
                    list(accumulate((len(c) + 1 for c in self.surface.split(" ")), initial=0))
                )
            else:
                offsets.append(offsets[0])
        return offsets

    def _origin(self, position: int) -> int:
        surface_starts, original_starts, *_ = self._piece_offsets()
        piece = bisect_right(surface_starts, position) - 1
        local = position - surface_starts[piece]
        start = original_starts[piece]
        if piece not in self._piece_origins:
            original = self.original[start : original_starts[piece + 1] - 1]
            self._piece_origins[piece] = self._folder.origins[original]
        origins = self._piece_origins[piece]
        return start + (local if origins is None else origins[local])

    def surface_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of surface[start:end]."""
        if start >= len(self.surface):
            return len(self.original), len(self.original)
        last = max(start, end - 1)
        if last >= len(self.surface):
            raise IndexError("surface span out of range")
        return self._origin(start), self._origin(last) + 1

    def _token_spans(self, piece: int) -> tuple[tuple[int, int], ...]:
        spans = self._piece_token_spans.get(piece)
        if spans is None:
            spans = self._piece_token_spans[piece] = self._folder.token_spans[
                self._pieces[piece].surface
            ]
        return spans

    def token_span(self, first: int, last: int) -> tuple[int, int]:
        """The original offsets covering tokens[first..last]."""
        surface_starts, _, token_starts, _ = self._piece_offsets()
        piece = bisect_right(token_starts, first) - 1
        spans = self._token_spans(piece)
        start = surface_starts[piece] + spans[first - token_starts[piece]][0]
        piece = bisect_right(token_starts, last) - 1
        spans = self._token_spans(piece)
        end = surface_starts[piece] + spans[last - token_starts[piece]][1]
        return self.surface_span(start, end)

    def chunk_span(self, first: int, last: int) -> tuple[int, int]:
        """The original offsets covering the space-separated chunks first..last of the surface."""
        starts = self._piece_offsets()[3]
        return self.surface_span(starts[first], starts[last + 1] - 1)

    def loose_chunks(self) -> list[LooseChunk]:
        """The positions of the loose reading, as in loose(), without assembling a LooseText."""
        chunks = self._loose_chunks
        if not chunks:
            # Each piece with letters is a chunk, unless single letters come one after the other
            # (to be read together) or a piece is more than one word.
            kinds = bytes(map(_LOOSE_KIND, self._pieces))
            if b"\x03" in kinds or b"\x01\x01" in kinds.replace(b"\x00", b""):
                words = LOOSE_CHUNK.findall(self.letters)
            else:
                words = list(compress(map(_LETTERS, self._pieces), kinds))
            chunks.extend(map(self._folder.loose_chunks.__getitem__, words))
        return chunks

    @property
    def letters(self) -> str:
        """The surface with all but letters, digits, leet symbols and spaces left out."""
        return " ".join(map(_LETTERS, self._pieces))

    def loose_bounds(self, position: int) -> tuple[int, int]:
        """The first and last index into surface.split(" ") of loose_chunks()[position]."""
        # All at once, on the first flag: finding each on its own made flags × text.
        bounds = self._loose_bounds
        if not bounds:
            bounds.extend(self._all_loose_bounds())
        return bounds[position]

    def _all_loose_bounds(self) -> Iterator[tuple[int, int]]:
        letters, first, counted = self.letters, 0, 0
        for match in LOOSE_CHUNK.finditer(letters):
            first += letters.count(" ", counted, match.start())
            counted = match.start()
            yield first, first + match[0].count(" ")

    def loose(self) -> LooseText:
        chunks = self.loose_chunks()
        return LooseText(
            joined=tuple(chunk.joined for chunk in chunks),
            keys=tuple(chunk.key for chunk in chunks),
            readings=tuple(chunk.readings for chunk in chunks),
            leet=tuple(chunk.leet for chunk in chunks),
            arabizi=tuple(chunk.arabizi for chunk in chunks),
            chunks=tuple(self._all_loose_bounds()),
        )

    def duplicate_key(self) -> str:
        """duplicate_key() of the original text, from this folding."""
        # No run crosses the single spaces between tokens: each token is capped on its own.
        return " ".join(chain.from_iterable(map(_CAPPED_TOKENS, self._pieces)))


def fold(text: str) -> FoldedText:
    """Fold one text with nothing remembered (a Folder's fold() remembers)."""
    return Folder().fold(text)


def match_key(text: str) -> str:
    """The folded text as single-space-separated tokens (NFKC, case folded, Arabic letters
    unified, marks, tatweel and invisibles removed, digits ASCII, Latin look-alikes folded)."""
    return " ".join(fold(text).tokens)


def duplicate_key(body: str) -> str:
    """The key under which two bodies count as the same comment: the match key with runs of a
    repeated character capped at two, so that "رااااائع" and "رااائع" also meet."""
    return fold(body).duplicate_key()
