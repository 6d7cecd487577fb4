"""The loose key: looser readings of a folded text (letters joined across spaces, repeats
shortened, leet, Arabizi) that may only flag, never reject."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from .folding import (
    CLITIC_INITIALS,
    DROP_LEET_SYMBOLS,
    FOLD_TABLE,
    LEET_SYMBOLS,
    cap_runs_at_two,
    shorten_runs,
    without_clitics,
)

# Leet and Arabizi both read digits as letters and clash on 3, 5 and 7: both readings are kept.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
    | {"$": "s", "@": "a", "!": "i", "|": "l", "'": None}
)
_LEET_AS_L = str.maketrans({"1": "l"})
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
    word = word.translate(FOLD_TABLE)
    arabic = _ARABIZI_DIGRAPH.sub(lambda m: _ARABIZI_DIGRAPHS[m[0]], word).translate(
        _ARABIZI_LETTERS
    )
    skeleton = shorten_runs(arabic.translate(_CONSONANT_CLASSES))
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


# A chunk of FoldedText.letters: a word with two or more letters or digits, or a run of words of
# one letter or digit each, with spaces and words of leet symbols alone ("!") between them. The
# symbols do not count as letters here, as the loose reading drops them.
LOOSE_CHUNK = re.compile(
    r"""
    (?<![^ ])
    (?: [$@!|']* [^ $@!|'] [$@!|']* [^ $@!|'] [^ ]*
      | [$@!|']* [^ $@!|'] [$@!|']* (?![^ ])
        (?: (?:[ ]+ [$@!|']+ (?![^ ]))* [ ]+ [$@!|']* [^ $@!|'] [$@!|']* (?![^ ]) )*
    )
    """,
    re.VERBOSE,
)


LatinReadings = tuple[str | None, str | None, tuple[str, ...]]


def latin_readings(joined: str, lettered: str) -> LatinReadings:
    """Leet reading, Arabizi key and extra readings of a chunk that contains a Latin letter."""
    leet = arabizi = None
    readings: list[str] = []
    if _LEET_CHARACTER.search(lettered):
        stripped = lettered.rstrip("!|")  # "spam!" is not "spami"
        leet = stripped.translate(_LEET)
        for reading in (leet, stripped.translate(_LEET_AS_L).translate(_LEET)):
            readings += (shorten_runs(reading), cap_runs_at_two(reading))
    if _ARABIZI_DIGIT.search(joined):
        arabizi = arabizi_key(lettered) or None
    if joined[-1].isdigit() and not joined[0].isdigit():
        readings.append(cap_runs_at_two(joined.rstrip("0123456789")))  # "admin2"
    return leet, arabizi, tuple(readings)


def read_chunk(
    chunk: str, readings: Callable[[str, str], LatinReadings] = latin_readings
) -> LooseChunk:
    """The loose reading of one match of LOOSE_CHUNK (`readings`: latin_readings, perhaps
    remembered)."""
    if " " in chunk:  # single letters, and perhaps words of symbols alone, which are left out
        lettered = "".join(word for word in chunk.split(" ") if word.strip(LEET_SYMBOLS))
    else:
        lettered = chunk
    word = lettered.translate(DROP_LEET_SYMBOLS)
    short, cap = shorten_runs(word), cap_runs_at_two(word)
    options = [short] if short == cap else [short, cap]
    if word[0] in CLITIC_INITIALS:
        for stem in without_clitics(word)[1:]:
            options += [stem] if short == word else [shorten_runs(stem), cap_runs_at_two(stem)]
    leet = arabizi = None
    if _ASCII_LETTER.search(word):
        leet, arabizi, latin = readings(word, lettered)
        options += latin
    return LooseChunk(word, cap, tuple(dict.fromkeys(options)), leet, arabizi)
