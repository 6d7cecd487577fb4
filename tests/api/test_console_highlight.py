"""The console's highlighting (moderation/static/highlight.js), run under node: offsets are
always offsets into the text shown, whatever lowercasing does to its length."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources

import pytest

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")


def find_highlight(text: str, terms: list[str]) -> tuple[int, int] | None:
    script = resources.files("moderation").joinpath("static", "highlight.js").read_text()
    program = (
        script
        + "\nconst [text, terms] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        + "\nprocess.stdout.write(JSON.stringify(findHighlight(text, terms)));"
    )
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", program],
        input=json.dumps([text, terms]),
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )
    found = json.loads(done.stdout)
    return None if found is None else (found["start"], found["end"])


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("text", "term", "expected"),
    [
        ("İİİİİİİİİİ admin", "admin", "admin"),
        ("İİİİİİİİİİ ADMIN", "admin", "ADMIN"),
        ("İstanbul", "i̇stanbul", "İstanbul"),  # the term as lowercasing spells it
        ("ẞ Straße", "straße", "Straße"),
        ("😀😀 Spam here", "spam", "Spam"),
        ("قال وزير الخارجية: مبيدات خطرة", "مبيدات", "مبيدات"),
        ("İİ مبيدات", "مبيدات", "مبيدات"),
    ],
)
def test_offsets_point_at_the_term_in_the_text_shown(text: str, term: str, expected: str) -> None:
    found = find_highlight(text, [term])
    assert found is not None
    start, end = found
    units = text.encode("utf-16-le")
    assert units[start * 2 : end * 2].decode("utf-16-le") == expected
    assert 0 <= start <= end <= utf16(text)


def test_the_earliest_term_wins_and_absent_terms_give_nothing() -> None:
    assert find_highlight("spam and ads", ["ads", "spam"]) == (0, 4)
    assert find_highlight("nothing here", ["spam", ""]) is None
    assert find_highlight("", ["spam"]) is None
