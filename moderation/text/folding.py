"""Folding, character by character and piece by piece: the Arabic-aware match form of a text
(NFKC, case folded, Arabic letters unified, marks, tatweel and invisibles removed, digits ASCII,
Latin look-alikes folded), clitics and runs. Pure functions and constant tables only."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from importlib import resources
from typing import NamedTuple

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


class LazyTable(dict[int, str]):
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


FOLD_TABLE = LazyTable(_fold_character)
WORD_TABLE = LazyTable(_word_or_space)

_CLITICS = ("وال", "بال", "كال", "فال", "لل", "ال", "و")
CLITIC_INITIALS = frozenset(prefix[0] for prefix in _CLITICS)
_MIN_STEM = 2


def _is_arabic_letter(char: str) -> bool:
    return "\u0621" <= char <= "\u064a"


def without_clitics(token: str) -> tuple[str, ...]:
    """The token, then each stem left after removing one leading Arabic clitic (ال وال بال كال فال
    لل و) from a folded Arabic token, so that "والحمار" is also tried as "الحمار" and "حمار"."""
    if not token or token[0] not in CLITIC_INITIALS:
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
def shorten_runs(text: str) -> str:
    return _REPEATS.sub(r"\1", text) if _REPEATS.search(text) else text


def cap_runs_at_two(text: str) -> str:
    return _LONG_REPEATS.sub(r"\1\1", text) if _LONG_REPEATS.search(text) else text


# Leet symbols take part in the loose reading (loose.py), so the letters of a piece keep them.
LEET_SYMBOLS = "$@!|'"
DROP_LEET_SYMBOLS = str.maketrans(dict.fromkeys(LEET_SYMBOLS))


def _loose_char(char: str) -> str:
    if char == " " or char in LEET_SYMBOLS or unicodedata.category(char)[0] in "LN":
        return char
    return ""


_LOOSE_TABLE = LazyTable(_loose_char)


# ASCII lowercase letters and digits, and the Arabic letters that fold to themselves: a piece of
# these alone is its own surface, letters and only token (no two of them compose under NFC).
PLAIN_CHARACTERS = [
    char
    for char in map(chr, [*range(0x30, 0x3A), *range(0x61, 0x7B), *range(0x0621, 0x064B)])
    if _fold_character(char) == char and unicodedata.category(char)[0] in "LN"
]
_PLAIN_WORD = re.compile(f"[{''.join(map(re.escape, PLAIN_CHARACTERS))}]+")


class Piece(NamedTuple):
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


def fold_piece(piece: str) -> Piece:
    if _PLAIN_WORD.fullmatch(piece):  # a word that folds to itself, as many do: the short way
        capped_piece = cap_runs_at_two(piece)
        only_token = (piece,)
        return Piece._make(
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
    surface = piece.translate(FOLD_TABLE)
    # Equal strings and tuples are shared: the pieces stay in memory for as long as they are seen.
    letters = surface.translate(_LOOSE_TABLE)
    letters = surface if letters == surface else letters
    joined = letters.translate(DROP_LEET_SYMBOLS)
    joined = letters if joined == letters else joined
    tokens = tuple(unicodedata.normalize("NFC", surface.translate(WORD_TABLE)).split())
    capped = tuple(map(cap_runs_at_two, tokens))
    kind = 3 if " " in letters else min(len(joined), 2)
    return Piece._make(
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
    return tuple(plain.translate(WORD_TABLE).split())


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
