"""Match keys for word rules: the Arabic-aware folded form of comments and site terms, its exact
token stream, and looser readings (joined letters, repeats, leet, Arabizi) that may only flag.
Keys are for matching only; they are never stored or shown."""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import accumulate, chain, compress, repeat
from operator import itemgetter
from typing import NamedTuple, TypeVar

_ARABIC_MARKS = frozenset(
    [
        *range(0x0610, 0x061B),
        *range(0x064B, 0x0660),  # harakat, shadda, sukun, and the hamza/madda marks NFD yields
        0x0670,  # superscript alef
        *range(0x06D6, 0x06EE),  # Quranic annotation signs
        *range(0x08CA, 0x0900),  # Arabic Extended-A marks: the same evasion with rarer code points
        0x0640,  # tatweel
        0x0674,  # high hamza, which NFKC splits off ٵ ٶ ٸ
    ]
)
# Invisible "letters" and selectors that are not Cf but render as nothing.
_INVISIBLE_EXTRAS = frozenset(
    [
        0x034F,
        0x115F,
        0x1160,
        0x17B4,
        0x17B5,
        0x3164,
        0xFFA0,
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)
_ARABIC_LETTERS = {
    "\u0671": "\u0627",  # ٱ
    "\u0672": "\u0627",
    "\u0673": "\u0627",
    "\u0649": "\u064a",  # ى
    "\u06cc": "\u064a",  # Persian ی
    "\u06d2": "\u064a",  # Urdu ے
    "\u0629": "\u0647",  # ة
    "\u06c1": "\u0647",
    "\u06c3": "\u0647",
    "\u06d5": "\u0647",
    "\u06be": "\u0647",
    "\u06a9": "\u0643",  # Persian ک
    "\u06aa": "\u0643",
}

# The confusables data maps the capital Greek iota and Cyrillic І to "l", UTS #39's prototype for
# I; after case folding that would turn "ΑDMΙN" into "admln" instead of "admin".
_CAPITAL_I_LOOKALIKES = {"l": "i"}
# Lowercase forms the data lists only as capitals (or not at all) but which pass for Latin in text.
_EXTRA_LOOKALIKES = {
    "κ": "k",
    "ϰ": "k",
    "τ": "t",
    "χ": "x",
    "ε": "e",
    "η": "n",
    "ω": "w",
    "к": "k",
}
_LOOKALIKE_SCRIPTS = ("LATIN ", "CYRILLIC ", "GREEK ")


def _lookalike_script(char: str) -> str | None:
    name = unicodedata.name(char, "")
    return next((script for script in _LOOKALIKE_SCRIPTS if name.startswith(script)), None)


def _build_lookalikes() -> dict[str, str]:
    """Latin, Cyrillic and Greek letters that pass for an ASCII letter, mapped to it in lowercase,
    from the UTS #39 data bundled with confusable_homoglyphs (read directly: importing its modules
    pulls in urllib for an update command we must never run)."""
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_bytes()
    lookalikes = dict(_EXTRA_LOOKALIKES)
    for char, homoglyphs in json.loads(data).items():
        if len(char) != 1 or char.isascii() or not char.isalpha():
            continue
        targets = sorted(h["c"] for h in homoglyphs if h["c"].isascii() and h["c"].isalpha())
        targets = [target.lower() for target in targets if len(target) == 1]
        if targets and _lookalike_script(char):
            target = targets[0]
            lookalikes[char] = (
                _CAPITAL_I_LOOKALIKES.get(target, target) if char.isupper() else target
            )
    return lookalikes


_LOOKALIKES = _build_lookalikes()


def _is_invisible(char: str) -> bool:
    return ord(char) in _INVISIBLE_EXTRAS or unicodedata.category(char) in ("Cf", "Cc")


def _fold_decomposed(char: str) -> str:
    if char.isspace():
        return " "
    if ord(char) in _ARABIC_MARKS or _is_invisible(char):
        return ""
    if char in _ARABIC_LETTERS:
        return _ARABIC_LETTERS[char]
    if unicodedata.category(char) == "Nd":
        return str(unicodedata.decimal(char))
    return _LOOKALIKES.get(char, char)


def _fold_character(char: str) -> str:
    if char.isspace():
        return " "
    folded: list[str] = []
    for compatible in unicodedata.normalize("NFKC", char):
        # Before case folding too: Cyrillic Н and М pass for H and M, but н and м not for h and m.
        compatible = _LOOKALIKES.get(compatible, compatible)
        folded.extend(map(_fold_decomposed, unicodedata.normalize("NFD", compatible.casefold())))
    result = "".join(folded)
    # ﹰ and its kin are spacing forms of harakat: NFKC gives a space plus the mark.
    return "" if result.isspace() else result


class _LazyTable(dict[int, str]):
    """A str.translate table filled on first sight of each character, up to a bound."""

    def __init__(self, convert: Callable[[str], str], limit: int = 20_000) -> None:
        super().__init__()
        self._convert = convert
        self._limit = limit

    def __missing__(self, code: int) -> str:
        value = self._convert(chr(code))
        if len(self) < self._limit:  # an attacker sending every code point can't grow it forever
            self[code] = value
        return value


_Value = TypeVar("_Value")


class _Memo(dict[str, _Value]):
    """A cache of a pure function of short strings (words, chunks): news comments reuse their
    vocabulary, so most lookups are hits; emptied when full so that it follows what is posted."""

    def __init__(self, convert: Callable[[str], _Value], limit: int = 20_000) -> None:
        super().__init__()
        self._convert = convert
        self._limit = limit

    def __missing__(self, key: str) -> _Value:
        value = self._convert(key)
        if len(key) <= _MEMO_KEY_LENGTH:  # a long key is seldom seen twice
            if len(self) >= self._limit:
                self.clear()
            self[key] = value
        return value


_MEMO_KEY_LENGTH = 64


def _word_or_space(char: str) -> str:
    return char if unicodedata.category(char)[0] in "LNM" else " "


_FOLD_TABLE = _LazyTable(_fold_character)
_WORD_TABLE = _LazyTable(_word_or_space)

_CLITICS = ("وال", "بال", "كال", "فال", "لل", "ال", "و")
_CLITIC_INITIALS = frozenset(prefix[0] for prefix in _CLITICS)
_MIN_STEM = 2


def _is_arabic_letter(char: str) -> bool:
    return "\u0621" <= char <= "\u064a"


@lru_cache(maxsize=1 << 16)  # a site's vocabulary repeats: most calls are hits
def without_clitics(token: str) -> tuple[str, ...]:
    """The token, then each stem left after removing one leading Arabic clitic (ال وال بال كال فال
    لل و) from a folded Arabic token, so that "والحمار" is also tried as "الحمار" and "حمار"."""
    if not token or token[0] not in _CLITIC_INITIALS:
        return (token,)
    stems = [token]
    for prefix in _CLITICS:
        stem = token[len(prefix) :]
        if token.startswith(prefix) and len(stem) >= _MIN_STEM and _is_arabic_letter(stem[0]):
            stems.append(stem)
    return tuple(stems)


def clitic_forms(stem: str) -> list[str]:
    """Every token of which without_clitics() gives this stem: the stem itself, and the stem
    behind each clitic that would be taken off it."""
    forms = (prefix + stem for prefix in _CLITICS)
    return [stem, *(form for form in forms if stem in without_clitics(form)[1:])]


_REPEATS = re.compile(r"(.)\1+")
_LONG_REPEATS = re.compile(r"(.)\1{2,}")


# Most words have no run: looking for one first is much cheaper than sub() finding none.
def _shorten_runs(text: str) -> str:
    return _REPEATS.sub(r"\1", text) if _REPEATS.search(text) else text


def _cap_runs_at_two(text: str) -> str:
    return _LONG_REPEATS.sub(r"\1\1", text) if _LONG_REPEATS.search(text) else text


# Leet and Arabizi both read digits as letters and clash on 3, 5 and 7: both readings are kept.
_LEET_SYMBOLS = "$@!|'"
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
    | {"$": "s", "@": "a", "!": "i", "|": "l", "'": None}
)
_LEET_AS_L = str.maketrans({"1": "l"})
_DROP_LEET_SYMBOLS = str.maketrans(dict.fromkeys(_LEET_SYMBOLS))
_ASCII_LETTER = re.compile("[a-z]")
_LEET_CHARACTER = re.compile(r"[0134579$@!|]")
_ARABIZI_DIGIT = re.compile("[235789]")  # 2=ء 3=ع 5=خ 6=ط 7=ح 8=ق 9=ص

_ARABIZI_DIGRAPHS = {
    "sh": "ش",
    "ch": "ش",
    "kh": "خ",
    "gh": "غ",
    "th": "ث",
    "dh": "ذ",
    "3'": "غ",
    "7'": "خ",
    "6'": "ظ",
    "9'": "ض",
}
_ARABIZI_DIGRAPH = re.compile("|".join(map(re.escape, _ARABIZI_DIGRAPHS)))
_ARABIZI_LETTERS = str.maketrans(
    {
        "2": "ء",
        "3": "ع",
        "5": "خ",
        "6": "ط",
        "7": "ح",
        "8": "ق",
        "9": "ص",
        "b": "ب",
        "p": "ب",
        "t": "ت",
        "j": "ج",
        "g": "ج",
        "d": "د",
        "r": "ر",
        "z": "ز",
        "s": "س",
        "f": "ف",
        "v": "ف",
        "q": "ق",
        "k": "ك",
        "c": "ك",
        "l": "ل",
        "m": "م",
        "n": "ن",
        "h": "ه",
        "x": "كس",
    }
    | dict.fromkeys("aeiouwy014'$@!|")
)
# Arabizi writes short vowels and leaves long ones ambiguous, and one Latin letter stands for
# several Arabic ones; both sides are therefore compared as consonant skeletons with the
# emphatics merged into their plain counterparts.
_CONSONANT_CLASSES = str.maketrans(
    {"ط": "ت", "ث": "ت", "ص": "س", "ض": "د", "ظ": "ز", "ذ": "ز", "ق": "ك", "غ": "ج"}
    | dict.fromkeys("اويىء")
)
_MIN_ARABIZI_SKELETON = 2


def arabizi_key(word: str) -> str:
    """The consonant skeleton that an Arabic word ("حمار") and its Arabizi spelling ("7mar")
    share; "" if the word is too short to compare this way."""
    word = word.translate(_FOLD_TABLE)
    arabic = _ARABIZI_DIGRAPH.sub(lambda m: _ARABIZI_DIGRAPHS[m[0]], word).translate(
        _ARABIZI_LETTERS
    )
    skeleton = _shorten_runs(arabic.translate(_CONSONANT_CLASSES))
    skeleton = skeleton.removesuffix("ه")  # a final ة or ه is written a, ah or eh
    return skeleton if len(skeleton) >= _MIN_ARABIZI_SKELETON else ""


@dataclass(frozen=True, slots=True)
class LooseText:
    """The loose reading of a folded text: one position per whitespace-separated chunk, letters
    and digits only, a run of single-letter chunks ("s p a m", "ب ا ط ل") counting as one. A term
    is indexed under its `keys`; a comment's position may stand for any of its `readings`."""

    joined: tuple[str, ...]
    keys: tuple[str, ...]  # joined, runs of one letter capped at two
    readings: tuple[tuple[str, ...], ...]  # runs shortened to one and two, clitics off, leet
    leet: tuple[str | None, ...]
    arabizi: tuple[str | None, ...]  # the arabizi_key of a chunk written in Arabizi
    chunks: tuple[tuple[int, int], ...]  # first and last index into surface.split(" ")


class LooseChunk(NamedTuple):
    """One position of a LooseText, read once per distinct chunk and then remembered."""

    joined: str
    key: str
    readings: tuple[str, ...]
    leet: str | None
    arabizi: str | None


def _loose_char(char: str) -> str:
    if char == " " or char in _LEET_SYMBOLS or unicodedata.category(char)[0] in "LN":
        return char
    return ""


_LOOSE_TABLE = _LazyTable(_loose_char)
_NON_SPACE = re.compile(r"\S+")
# A chunk of FoldedText.letters: a word with two or more letters or digits, or a run of words of
# one letter or digit each, with spaces and words of leet symbols alone ("!") between them. The
# symbols do not count as letters here, as the loose reading drops them.
_LOOSE_CHUNK = re.compile(
    r"""
    (?<![^ ])
    (?: [$@!|']* [^ $@!|'] [$@!|']* [^ $@!|'] [^ ]*
      | [$@!|']* [^ $@!|'] [$@!|']* (?![^ ])
        (?: (?:[ ]+ [$@!|']+ (?![^ ]))* [ ]+ [$@!|']* [^ $@!|'] [$@!|']* (?![^ ]) )*
    )
    """,
    re.VERBOSE,
)


@lru_cache(maxsize=4096)  # spam repeats its chunks
def _latin_readings(joined: str, lettered: str) -> tuple[str | None, str | None, tuple[str, ...]]:
    """Leet reading, Arabizi key and extra readings of a chunk that contains a Latin letter."""
    leet = arabizi = None
    readings: list[str] = []
    if _LEET_CHARACTER.search(lettered):
        stripped = lettered.rstrip("!|")  # "spam!" is not "spami"
        leet = stripped.translate(_LEET)
        for reading in (leet, stripped.translate(_LEET_AS_L).translate(_LEET)):
            readings += (_shorten_runs(reading), _cap_runs_at_two(reading))
    if _ARABIZI_DIGIT.search(joined):
        arabizi = arabizi_key(lettered) or None
    if joined[-1].isdigit() and not joined[0].isdigit():
        readings.append(_cap_runs_at_two(joined.rstrip("0123456789")))  # "admin2"
    return leet, arabizi, tuple(readings)


def _read_chunk(chunk: str) -> LooseChunk:
    """The loose reading of one match of _LOOSE_CHUNK."""
    if " " in chunk:  # single letters, and perhaps words of symbols alone, which are left out
        lettered = "".join(word for word in chunk.split(" ") if word.strip(_LEET_SYMBOLS))
    else:
        lettered = chunk
    word = lettered.translate(_DROP_LEET_SYMBOLS)
    short, cap = _shorten_runs(word), _cap_runs_at_two(word)
    options = [short] if short == cap else [short, cap]
    if word[0] in _CLITIC_INITIALS:
        for stem in without_clitics(word)[1:]:
            options += [stem] if short == word else [_shorten_runs(stem), _cap_runs_at_two(stem)]
    leet = arabizi = None
    if _ASCII_LETTER.search(word):
        leet, arabizi, latin = _latin_readings(word, lettered)
        options += latin
    return LooseChunk(word, cap, tuple(dict.fromkeys(options)), leet, arabizi)


_LOOSE_CHUNKS = _Memo(_read_chunk)
# ASCII lowercase letters and digits, and the Arabic letters that fold to themselves: a piece of
# these alone is its own surface, letters and only token (no two of them compose under NFC).
_PLAIN_CHARACTERS = [
    char
    for char in map(chr, [*range(0x30, 0x3A), *range(0x61, 0x7B), *range(0x0621, 0x064B)])
    if _fold_character(char) == char and unicodedata.category(char)[0] in "LN"
]
_PLAIN_WORD = re.compile(f"[{''.join(map(re.escape, _PLAIN_CHARACTERS))}]+")


class _Piece(NamedTuple):
    """The folding of one space-separated piece of a text."""

    surface: str
    letters: str
    joined: str  # letters without the leet symbols
    # How the piece's letters take part in the loose reading: 0 not at all (no letter or digit),
    # 1 as a single letter, 2 as a word, 3 as more than one word (NFKC gave a space).
    loose_kind: int
    tokens: tuple[str, ...]
    capped_tokens: tuple[str, ...]  # runs of a character capped at two, for duplicate_key
    surface_step: int  # len(surface) + 1, for the space after it
    original_step: int
    token_count: int


def _fold_piece(piece: str) -> _Piece:
    if _PLAIN_WORD.fullmatch(piece):  # a word that folds to itself, as many do: the short way
        capped_piece = _cap_runs_at_two(piece)
        only_token = (piece,)
        return _Piece._make(
            (
                piece,
                piece,
                piece,
                min(len(piece), 2),
                only_token,
                only_token if capped_piece == piece else (capped_piece,),
                len(piece) + 1,
                len(piece) + 1,
                1,
            )
        )
    surface = piece.translate(_FOLD_TABLE)
    # Equal strings and tuples are shared: the pieces stay in memory for as long as they are seen.
    letters = surface.translate(_LOOSE_TABLE)
    letters = surface if letters == surface else letters
    joined = letters.translate(_DROP_LEET_SYMBOLS)
    joined = letters if joined == letters else joined
    tokens = tuple(unicodedata.normalize("NFC", surface.translate(_WORD_TABLE)).split())
    capped = tuple(map(_cap_runs_at_two, tokens))
    kind = 3 if " " in letters else min(len(joined), 2)
    return _Piece._make(
        (
            surface,
            letters,
            joined,
            kind,
            tokens,
            tokens if capped == tokens else capped,
            len(surface) + 1,
            len(piece) + 1,
            len(tokens),
        )
    )


# Only flagged comments need their way back to the original text, so it is worked out then.
def _walk_origins(piece: str) -> tuple[int, ...] | None:
    """Of each character of the piece's surface (and its end), the original offset; None if
    each character folds to exactly one."""
    widths = piece.translate(_WIDTH_TABLE)
    if widths == "\x01" * len(piece):
        return None
    walked: list[int] = []
    done = 0
    for other in _NOT_ONE_WIDE.finditer(widths):  # walking only what is not one to one
        index = other.start()
        walked += range(done, index)
        walked += repeat(index, ord(other[0]))
        done = index + 1
    walked += range(done, len(piece) + 1)
    return tuple(walked)


def _find_token_spans(surface: str) -> tuple[tuple[int, int], ...]:
    """Where each token of a piece's surface lies in it."""
    return tuple(match.span() for match in _NON_SPACE.finditer(surface.translate(_WORD_TABLE)))


_ORIGINS = _Memo(_walk_origins, limit=4096)
_TOKEN_SPANS = _Memo(_find_token_spans, limit=4096)


# Folding is per character and whitespace folds to a space, so a text folds piece by piece
# between its spaces; NFC never joins across a space and no token spans one, so the pieces'
# tokens are the text's. Pieces (mostly words) repeat from comment to comment: each is folded
# once.
_PIECES = _Memo(_fold_piece)
_SURFACE, _LETTERS, _JOINED, _LOOSE_KIND, _TOKENS, _CAPPED_TOKENS = map(itemgetter, range(6))
_SURFACE_STEP, _ORIGINAL_STEP, _TOKEN_COUNT = map(itemgetter, range(6, 9))
_WIDTH_TABLE = _LazyTable(lambda char: chr(len(_FOLD_TABLE[ord(char)])))
_NOT_ONE_WIDE = re.compile("[^\x01]")


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A text folded once: `surface` keeps spacing and punctuation (one folded string per
    original character, whitespace as single " "), `tokens` is the exact match key."""

    original: str
    surface: str
    tokens: tuple[str, ...]
    _pieces: tuple[_Piece, ...] = field(repr=False, compare=False)
    # Offsets back into `original`, worked out on the first span asked for: only flagged comments
    # need them.
    _offsets: list[list[int]] = field(default_factory=list, init=False, repr=False, compare=False)
    _loose_chunks: list[LooseChunk] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    # _ORIGINS forgets long pieces; each flag asks again, and walking a 10,000-character piece
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
            self._piece_origins[piece] = _ORIGINS[original]
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
            spans = self._piece_token_spans[piece] = _TOKEN_SPANS[self._pieces[piece].surface]
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
                words = _LOOSE_CHUNK.findall(self.letters)
            else:
                words = list(compress(map(_LETTERS, self._pieces), kinds))
            chunks.extend(map(_LOOSE_CHUNKS.__getitem__, words))
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
        for match in _LOOSE_CHUNK.finditer(letters):
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
    """Fold a text once, for both its exact tokens and (through .loose()) its loose reading."""
    # Any whitespace folds to a space: line breaks and the like part pieces too, and keep them
    # free of spaces in the middle, which would make loose_chunks() take the slower way.
    spaced = text.replace("\n", " ").replace("\r", " ").replace("\t", " ").replace("\xa0", " ")
    pieces = tuple(map(_PIECES.__getitem__, spaced.split(" ")))
    return FoldedText(
        original=text,
        surface=" ".join(map(_SURFACE, pieces)),
        tokens=tuple(chain.from_iterable(map(_TOKENS, pieces))),
        _pieces=pieces,
    )


def is_word_character(char: str) -> bool:
    """A letter, digit or mark that plain_words() keeps: what words are made of."""
    return unicodedata.category(char)[0] in "LNM" and ord(char) not in _ARABIC_MARKS


_DIACRITICS = dict.fromkeys(_ARABIC_MARKS)


def plain_words(text: str) -> tuple[str, ...]:
    """The words of a text as written: NFC, case folded, Arabic diacritics and tatweel left out
    (they are optional in writing and never make another word of the same letters), and nothing
    else changed. Two texts with the same plain words say the same words; tokens() may also make
    one word of different ones ("أمل" and "امل", "ΑDMΙN" and "admin")."""
    plain = unicodedata.normalize("NFC", text).casefold().translate(_DIACRITICS)
    return tuple(plain.translate(_WORD_TABLE).split())


def tokens(text: str) -> list[str]:
    """The folded tokens of a text: punctuation and spacing only separate them."""
    return list(fold(text).tokens)


def match_key(text: str) -> str:
    """The folded text as single-space-separated tokens (NFKC, case folded, Arabic letters
    unified, marks, tatweel and invisibles removed, digits ASCII, Latin look-alikes folded)."""
    return " ".join(fold(text).tokens)


def loose_keys(text: str) -> list[str]:
    """The looser renditions of a text, each a space-separated string to search: letters joined
    across spaces, dots and dashes with repeated letters shortened, then (when they differ) the
    leetspeak reading and the Arabizi consonant-skeleton reading."""
    loose = fold(text).loose()
    joined = " ".join(map(_shorten_runs, loose.joined))
    leet = " ".join(_shorten_runs(e or j) for j, e in zip(loose.joined, loose.leet, strict=True))
    arabizi = " ".join(
        a or _shorten_runs(j) for j, a in zip(loose.joined, loose.arabizi, strict=True)
    )
    return list(dict.fromkeys((joined, leet, arabizi)))


def duplicate_key(body: str) -> str:
    """The key under which two bodies count as the same comment: the match key with runs of a
    repeated character capped at two, so that "رااااائع" and "رااائع" also meet."""
    return fold(body).duplicate_key()


@lru_cache(maxsize=4096)  # authors post under the same name again and again
def mixes_latin_with_lookalikes(word: str) -> bool:
    """Whether a word mixes Latin letters with Cyrillic or Greek look-alikes ("pаypal"), or is
    written entirely in Cyrillic or Greek letters that all pass for Latin ones ("ΑΡΡΙΕ")."""
    letters = [char for char in unicodedata.normalize("NFKC", word) if char.isalpha()]
    scripts = [_lookalike_script(char) for char in letters]
    disguised = [
        script in ("CYRILLIC ", "GREEK ")
        and (char in _LOOKALIKES or char.casefold() in _LOOKALIKES)
        for char, script in zip(letters, scripts, strict=True)
    ]
    if "LATIN " in scripts:
        return any(disguised)
    return len(letters) >= 3 and all(disguised)
