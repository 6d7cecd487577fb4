"""Match keys for word rules: the Arabic-aware folded form of comments and site terms, its exact
token stream, and looser readings (joined letters, repeats, leet, Arabizi) that may only flag.
Keys are for matching only; they are never stored or shown."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import accumulate, repeat

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
    folded = []
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


_REPEATS = re.compile(r"(.)\1+")
_LONG_REPEATS = re.compile(r"(.)\1{2,}")


def _shorten_runs(text: str) -> str:
    return _REPEATS.sub(r"\1", text)


def _cap_runs_at_two(text: str) -> str:
    return _LONG_REPEATS.sub(r"\1\1", text)


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


def _loose_char(char: str) -> str:
    if char == " " or char in _LEET_SYMBOLS or unicodedata.category(char)[0] in "LN":
        return char
    return ""


_LOOSE_TABLE = _LazyTable(_loose_char)
_NON_SPACE = re.compile(r"\S+")


@lru_cache(maxsize=4096)  # spam repeats its chunks
def _latin_readings(joined: str, lettered: str) -> tuple[str | None, str | None, tuple[str, ...]]:
    """Leet reading, Arabizi key and extra readings of a chunk that contains a Latin letter."""
    leet = arabizi = None
    readings = []
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


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A text folded once: `surface` keeps spacing and punctuation (one folded string per
    original character, whitespace as single " "), `tokens` is the exact match key."""

    original: str
    surface: str
    tokens: tuple[str, ...]
    # Offsets back into `original`, worked out on the first span asked for: only flagged comments
    # need them.
    _origins: list[int] = field(default_factory=list, init=False, repr=False, compare=False)
    _token_bounds: list[tuple[int, int]] = field(
        default_factory=list, init=False, repr=False, compare=False
    )
    _chunk_starts: list[int] = field(default_factory=list, init=False, repr=False, compare=False)

    def surface_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of surface[start:end]."""
        origins = self._origins
        if not origins:
            for index, char in enumerate(self.original):
                origins.extend(repeat(index, len(_FOLD_TABLE[ord(char)])))
        if start >= len(origins):
            return len(self.original), len(self.original)
        return origins[start], origins[max(start, end - 1)] + 1

    def token_span(self, first: int, last: int) -> tuple[int, int]:
        """The original offsets covering tokens[first..last]."""
        bounds = self._token_bounds
        if not bounds:
            words = self.surface.translate(_WORD_TABLE)
            bounds.extend(match.span() for match in _NON_SPACE.finditer(words))
        return self.surface_span(bounds[first][0], bounds[last][1])

    def chunk_span(self, first: int, last: int) -> tuple[int, int]:
        """The original offsets covering LooseText chunks first..last."""
        starts = self._chunk_starts
        if not starts:
            starts.extend(
                accumulate((len(chunk) + 1 for chunk in self.surface.split(" ")), initial=0)
            )
        return self.surface_span(starts[first], starts[last + 1] - 1)

    def loose(self) -> LooseText:
        lettered_surface = self.surface.translate(_LOOSE_TABLE)
        lettered_chunks = lettered_surface.split(" ")
        joined_chunks = lettered_surface.translate(_DROP_LEET_SYMBOLS).split(" ")
        joined: list[str] = []
        lettered: list[str] = []
        chunks: list[tuple[int, int]] = []
        single_letters = False
        for index, word in enumerate(joined_chunks):
            if not word:
                continue
            if len(word) == 1 and single_letters:
                joined[-1] += word
                lettered[-1] += lettered_chunks[index]
                chunks[-1] = (chunks[-1][0], index)
                continue
            single_letters = len(word) == 1
            joined.append(word)
            lettered.append(lettered_chunks[index])
            chunks.append((index, index))

        # Shortening the whole stream at once keeps positions aligned: a run never spans a space.
        everything = " ".join(joined)
        shortened = _shorten_runs(everything).split(" ") if joined else []
        capped = _cap_runs_at_two(everything).split(" ") if joined else []
        any_latin = _ASCII_LETTER.search(everything) is not None
        readings: list[tuple[str, ...]] = []
        leets: list[str | None] = []
        arabizis: list[str | None] = []
        for word, letters, short, cap in zip(joined, lettered, shortened, capped, strict=True):
            options = [short] if short == cap else [short, cap]
            if word[0] in _CLITIC_INITIALS:
                for stem in without_clitics(word)[1:]:
                    options += (
                        [stem] if short == word else [_shorten_runs(stem), _cap_runs_at_two(stem)]
                    )
            leet = arabizi = None
            if any_latin and _ASCII_LETTER.search(word):
                leet, arabizi, latin = _latin_readings(word, letters)
                options += latin
            readings.append(tuple(dict.fromkeys(options)))
            leets.append(leet)
            arabizis.append(arabizi)
        return LooseText(
            joined=tuple(joined),
            keys=tuple(capped),
            readings=tuple(readings),
            leet=tuple(leets),
            arabizi=tuple(arabizis),
            chunks=tuple(chunks),
        )


def fold(text: str) -> FoldedText:
    """Fold a text once, for both its exact tokens and (through .loose()) its loose reading."""
    surface = text.translate(_FOLD_TABLE)
    words = unicodedata.normalize("NFC", surface.translate(_WORD_TABLE)).split()
    return FoldedText(original=text, surface=surface, tokens=tuple(words))


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
    return _cap_runs_at_two(match_key(body))


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
