"""Unicode clean-up of user text: the stored form of comment bodies, author names and one-line
fields, and the reading direction of a body."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Literal

MAX_COMBINING_MARKS = (
    4  # per base character; Arabic needs at most 3 (shadda + fatha + a Quranic mark)
)


class InvalidText(ValueError):
    """User text that cannot be stored; the message says what is wrong with it."""


_ASTRAL_RANGE = "\\U00010000-\\U0010ffff"


def _bmp_ranges(belongs: Callable[[str], bool]) -> str:
    """The BMP characters that belong, as the inside of a regex character class.

    Scanning all 1.1M code points at import would cost ~150 ms against ~10 ms for the BMP, so
    patterns that must be exact add _ASTRAL_RANGE and check astral matches (rare: mostly emoji)
    one at a time."""
    ranges, start = [], None
    for code_point in range(0x10001):
        if code_point < 0x10000 and belongs(chr(code_point)):
            start = code_point if start is None else start
        elif start is not None:
            ranges.append(f"\\u{start:04x}-\\u{code_point - 1:04x}")
            start = None
    return "".join(ranges)


_INVISIBLE_CONTROLS = frozenset(
    [
        *range(0x202A, 0x202F),  # LRE RLE PDF LRO RLO: Trojan Source, CVE-2021-42574
        *range(0x2066, 0x206A),  # LRI RLI FSI PDI
        0xFEFF,
        *range(0xE0000, 0xE0080),  # tag characters: "ASCII smuggling" past human moderators
    ]
)
_REMOVED_CATEGORIES = frozenset({"Cc", "Co", "Cn"})


def _is_removed(char: str) -> bool:
    if ord(char) in _INVISIBLE_CONTROLS:
        return True
    return unicodedata.category(char) in _REMOVED_CATEGORIES and char not in "\n\t"


def _is_combining_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me")


def _is_right_to_left(char: str) -> bool:
    return unicodedata.bidirectional(char) in ("R", "AL")


def _is_left_to_right(char: str) -> bool:
    return unicodedata.bidirectional(char) == "L"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?|[\u2028\u2029]")
_REMOVABLE = re.compile(f"[{_bmp_ranges(_is_removed)}{_ASTRAL_RANGE}]")
_MARK_RUN = re.compile(
    f"[{_bmp_ranges(_is_combining_mark)}{_ASTRAL_RANGE}]{{{MAX_COMBINING_MARKS + 1},}}"
)
_RIGHT_TO_LEFT_RUN = re.compile(f"[{_bmp_ranges(_is_right_to_left)}]+")
_LEFT_TO_RIGHT_RUN = re.compile(f"[{_bmp_ranges(_is_left_to_right)}]+")
_ASTRAL = re.compile(f"[{_ASTRAL_RANGE}]")

# Names and one-line fields have no use for these, and in a name they can disguise who is talking.
_FORMATTING_INVISIBLES = dict.fromkeys(
    map(ord, "\u200e\u200f\u061c\u200b\u200c\u200d\u2060\u00ad\u180e\u034f")
)
# Whitespace is matched as whole runs, each tried once: r"[^\S\n]+$" and r"\s*[\n\t]\s*" tried
# every position of a run that turned out not to end a line (or hold a line break), and 10,000
# spaces before a letter cost 0.4 s.
_SPACE_RUN = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _without_trailing_space(match: re.Match[str]) -> str:
    """A run of whitespace without the spaces that end a line: those before each line break,
    and those after the last one if the text ends there."""
    line_breaks = match[0].count("\n")
    at_end = match.end() == len(match.string)
    return "\n" * line_breaks + ("" if at_end else match[0].rpartition("\n")[2])


def _one_space_if_breaking(match: re.Match[str]) -> str:
    run = match[0]
    return " " if "\n" in run or "\t" in run else run


def _keep_unless_removed(match: re.Match[str]) -> str:
    return "" if _is_removed(match[0]) else match[0]


def _cap_combining_marks(match: re.Match[str]) -> str:
    kept, marks_in_a_row = [], 0
    for char in match[0]:
        marks_in_a_row = marks_in_a_row + 1 if _is_combining_mark(char) else 0
        if marks_in_a_row <= MAX_COMBINING_MARKS:
            kept.append(char)
    return "".join(kept)


def _clean(text: str, *, drop_formatting_invisibles: bool) -> str:
    if _LONE_SURROGATE.search(text):
        raise InvalidText("contains a lone surrogate")
    text = _REMOVABLE.sub(_keep_unless_removed, _LINE_BREAK.sub("\n", text))
    if drop_formatting_invisibles:
        text = text.translate(_FORMATTING_INVISIBLES)
    # Removal comes before NFC so that what is left gets composed; the cap comes after, because NFC
    # reorders marks; cutting marks off the end of a run leaves NFC text in NFC (tested).
    return _MARK_RUN.sub(_cap_combining_marks, unicodedata.normalize("NFC", text))


def clean_body(text: str) -> str:
    """The stored form of a comment body; "" if nothing is left. Raises InvalidText."""
    text = _SPACE_RUN.sub(_without_trailing_space, _clean(text, drop_formatting_invisibles=False))
    return _BLANK_LINES.sub("\n\n", text).strip()


def clean_name(text: str) -> str:
    """The stored form of an author name: one line, single spaces; "" if nothing is left.

    Raises InvalidText if what is left contains no letter."""
    name = " ".join(_clean(text, drop_formatting_invisibles=True).split())
    if name and not any(char.isalpha() for char in name):  # isalpha() is exactly categories L*
        raise InvalidText("must contain at least one letter")
    return name


def clean_line(text: str) -> str:
    """The stored form of a one-line field such as a thread key or a URL. Raises InvalidText."""
    line = _clean(text, drop_formatting_invisibles=True)
    return _SPACE_RUN.sub(_one_space_if_breaking, line).strip()


def text_direction(text: str) -> Literal["rtl", "ltr"]:
    """The direction of most strong characters; "ltr" on a tie. Unlike dir="auto", which follows
    the first strong character, this keeps an Arabic comment that opens with a URL right-to-left."""
    right_to_left = sum(map(len, _RIGHT_TO_LEFT_RUN.findall(text)))
    left_to_right = sum(map(len, _LEFT_TO_RIGHT_RUN.findall(text)))
    for char in _ASTRAL.findall(text):
        right_to_left += _is_right_to_left(char)
        left_to_right += _is_left_to_right(char)
    return "rtl" if right_to_left > left_to_right else "ltr"
