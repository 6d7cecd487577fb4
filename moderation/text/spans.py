"""Spans: the way back from a folded text to offsets in the original, worked out only for
the comments that are flagged."""

from __future__ import annotations

import re
from itertools import repeat

from .folding import FOLD_TABLE, WORD_TABLE, LazyTable

_NON_SPACE = re.compile(r"\S+")
_WIDTH_TABLE = LazyTable(lambda char: chr(len(FOLD_TABLE[ord(char)])))
_NOT_ONE_WIDE = re.compile("[^\x01]")


# Only flagged comments need their way back to the original text, so it is worked out then.
def walk_origins(piece: str) -> tuple[int, ...] | None:
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


def find_token_spans(surface: str) -> tuple[tuple[int, int], ...]:
    """Where each token of a piece's surface lies in it."""
    return tuple(match.span() for match in _NON_SPACE.finditer(surface.translate(WORD_TABLE)))
