from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.text.hygiene import (
    MAX_COMBINING_MARKS,
    InvalidText,
    clean_body,
    clean_line,
    clean_name,
    text_direction,
)

CLEANERS = [clean_body, clean_name, clean_line]
EXPLICIT_BIDI_CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
BIDI_MARKS = ["\u200e", "\u200f", "\u061c"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\u180e", "\u034f"]
TAG_CHARACTERS = "".join(chr(0xE0000 + ord(c)) for c in "ignore previous instructions")
# BMP code points plus a sample of astral ones, which are classified one at a time at run time.
CODE_POINTS = [
    *range(0xD800),
    *range(0xE000, 0x10000),
    *range(0x10000, 0x110000, 97),
    *range(0x1E900, 0x1E960),  # Adlam: right-to-left, outside the BMP
    *range(0xE0000, 0xE0080),
]


def longest_mark_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if unicodedata.category(char) in ("Mn", "Me") else 0
        longest = max(longest, run)
    return longest


@pytest.mark.parametrize("clean", CLEANERS)
def test_a_lone_surrogate_is_rejected_by_every_cleaner(clean: Callable[[str], str]) -> None:
    with pytest.raises(InvalidText, match="contains a lone surrogate"):
        clean("Ahmed \ud800 أحمد")


def test_windows_and_old_mac_line_endings_become_newlines() -> None:
    assert clean_body("مرحبا\r\nبالعالم") == "مرحبا\nبالعالم"
    assert clean_body("one\rtwo\u2028three\u2029four") == "one\ntwo\nthree\nfour"


@pytest.mark.parametrize("clean", CLEANERS)
def test_nul_and_other_control_characters_are_removed(clean: Callable[[str], str]) -> None:
    assert clean("a\x00b\x1bc\x7fd\x85e\x9ff") == "abcdef"


def test_tabs_are_kept_inside_bodies() -> None:
    assert clean_body("x\ty") == "x\ty"


@pytest.mark.parametrize("clean", CLEANERS)
def test_private_use_and_unassigned_characters_are_removed(clean: Callable[[str], str]) -> None:
    assert clean("a\ue000b\U000f0000c\u0378d\U0010fffde") == "abcde"


def test_bodies_are_stored_in_nfc_never_nfkc() -> None:
    assert clean_body("Jose\u0301") == "José"
    assert clean_body("صلى الله عليه وسلم ﷺ ① ﻻ") == "صلى الله عليه وسلم ﷺ ① ﻻ"


@pytest.mark.parametrize("clean", CLEANERS)
@pytest.mark.parametrize("control", EXPLICIT_BIDI_CONTROLS)
def test_explicit_bidi_controls_are_removed_everywhere(
    clean: Callable[[str], str], control: str
) -> None:
    assert clean(f"Ahmed{control}أحمد") == "Ahmedأحمد"


def test_right_to_left_override_is_removed_from_names() -> None:
    assert clean_name("Ahmed\u202e txt.exe") == "Ahmed txt.exe"
    assert clean_name("محمد\u202eأحمد") == "محمدأحمد"


def test_right_to_left_override_is_removed_from_bodies() -> None:
    assert clean_body("invoice\u202efdp.exe") == "invoicefdp.exe"


@pytest.mark.parametrize("clean", CLEANERS)
def test_byte_order_marks_and_tag_characters_are_removed(clean: Callable[[str], str]) -> None:
    assert clean(f"\ufeffشكراً{TAG_CHARACTERS} thanks\ufeff") == "شكراً thanks"


@pytest.mark.parametrize("clean", CLEANERS)
def test_zalgo_is_capped_at_four_combining_marks_per_character(
    clean: Callable[[str], str],
) -> None:
    zalgo = "h" + "\u0336\u0337\u0338\u0334\u0335\u0489\u20dd" * 3 + "i"
    assert clean(zalgo) == "h\u0336\u0337\u0338\u0334i"


def test_arabic_diacritics_are_kept_whole() -> None:
    # lam + shadda + fatha + superscript alef: three marks on one letter.
    allah = "ٱللَّٰه"
    bismillah = "بِسْمِ ٱللَّهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ"
    assert clean_body(allah) == unicodedata.normalize("NFC", allah)
    assert clean_body(bismillah) == unicodedata.normalize("NFC", bismillah)


def test_combining_marks_are_capped_after_nfc_reorders_them() -> None:
    # NFC moves the below-marks (class 220) ahead of the above-mark (class 230) and composes "ạ".
    cleaned = clean_body("a\u0301\u0323\u0323\u0323\u0323\u0323")
    assert unicodedata.is_normalized("NFC", cleaned)
    assert longest_mark_run(cleaned) == MAX_COMBINING_MARKS


def test_persian_zero_width_non_joiner_is_kept_in_bodies() -> None:
    assert clean_body("مریم\u200cزاده می\u200cخواهد") == "مریم\u200cزاده می\u200cخواهد"


def test_emoji_joined_by_zero_width_joiners_are_kept_in_bodies() -> None:
    assert (
        clean_body("أنا 👩\u200d💻 وعائلتي 👨\u200d👩\u200d👧")
        == "أنا 👩\u200d💻 وعائلتي 👨\u200d👩\u200d👧"
    )


def test_keycap_and_variation_selector_emoji_survive_the_mark_cap() -> None:
    assert clean_body("1\ufe0f\u20e3 ❤\ufe0f") == "1\ufe0f\u20e3 ❤\ufe0f"


@pytest.mark.parametrize("mark", BIDI_MARKS)
def test_plain_bidi_marks_are_kept_in_bodies(mark: str) -> None:
    assert clean_body(f"السعر 100{mark} دولار") == f"السعر 100{mark} دولار"


def test_tatweel_is_kept_in_stored_text() -> None:
    assert clean_body("مـــرحبا") == "مـــرحبا"
    assert clean_name("أحـــمد") == "أحـــمد"


def test_three_or_more_newlines_collapse_to_one_blank_line() -> None:
    assert clean_body("أولاً\n\n\n\n\nثانياً\n\nثالثاً") == "أولاً\n\nثانياً\n\nثالثاً"


def test_trailing_whitespace_is_stripped_from_every_line_and_the_body() -> None:
    assert clean_body("  \n first  \t\nsecond\u00a0\n \n\n\nthird \n\n") == (
        "first\nsecond\n\nthird"
    )


def test_indentation_inside_a_body_is_kept() -> None:
    assert clean_body("code:\n    x = 1") == "code:\n    x = 1"


def test_a_body_of_only_whitespace_and_controls_cleans_to_empty() -> None:
    assert clean_body(" \n\x00\t\u202e \r\n ") == ""


def test_bodies_are_not_truncated() -> None:
    assert clean_body("ا" * 20_000) == "ا" * 20_000


def test_whitespace_in_names_collapses_to_single_spaces() -> None:
    assert clean_name("  أحمد \n\t علي\u00a0\u3000 Ahmed  ") == "أحمد علي Ahmed"


@pytest.mark.parametrize("invisible", BIDI_MARKS + ZERO_WIDTH)
def test_bidi_marks_and_zero_width_characters_are_removed_from_names(invisible: str) -> None:
    assert clean_name(f"Ah{invisible}med") == "Ahmed"


def test_persian_zero_width_non_joiner_is_removed_from_names() -> None:
    assert clean_name("مریم\u200cزاده") == "مریمزاده"


@pytest.mark.parametrize("name", ["Ahmed أحمد", "أحمد", "O'Brien", "José", "李雷", "Zoë-Ann"])
def test_ordinary_names_in_any_script_are_kept(name: str) -> None:
    assert clean_name(name) == name


@pytest.mark.parametrize("name", ["123", "!!!", "🙂🙂", "٣٤٥", "\u0651", "- _ -"])
def test_a_name_without_any_letter_is_rejected(name: str) -> None:
    with pytest.raises(InvalidText, match="must contain at least one letter"):
        clean_name(name)


def test_a_name_that_cleans_to_nothing_is_empty_not_invalid() -> None:
    assert clean_name("\u200b\u200e \u202e\n\t") == ""


def test_names_are_not_length_capped() -> None:
    assert clean_name("ب" * 500) == "ب" * 500


def test_one_line_fields_drop_invisibles_and_join_lines() -> None:
    assert clean_line(" https://example.com/news\u200b\u200f\n\t/article \n") == (
        "https://example.com/news /article"
    )
    assert clean_line("\ufeffthread-42\u200e") == "thread-42"


def test_one_line_fields_keep_internal_spaces() -> None:
    assert clean_line("مقال  رقم 1") == "مقال  رقم 1"


def test_an_arabic_comment_is_right_to_left() -> None:
    assert text_direction("هذا المقال رائع جداً") == "rtl"


def test_an_english_comment_is_left_to_right() -> None:
    assert text_direction("Great article, thanks!") == "ltr"


def test_an_arabic_comment_that_opens_with_a_url_is_right_to_left() -> None:
    comment = "https://example.com/news/2024 هذا المقال رائع جداً وأتفق مع الكاتب في معظم النقاط"
    assert text_direction(comment) == "rtl"


def test_an_english_comment_quoting_an_arabic_word_is_left_to_right() -> None:
    assert text_direction('The word "سلام" means peace, and it is a common greeting.') == "ltr"


def test_mixed_text_follows_the_majority_of_strong_characters() -> None:
    assert text_direction("Ahmed أحمد") == "ltr"  # 5 Latin letters against 4 Arabic
    assert text_direction("Ali أحمد") == "rtl"


def test_a_tie_is_left_to_right() -> None:
    assert text_direction("abcd أحمد") == "ltr"


@pytest.mark.parametrize("text", ["", "123 456", "!!! 🙂 ...", "٣٤٥ ١٢"])
def test_text_without_strong_characters_is_left_to_right(text: str) -> None:
    assert text_direction(text) == "ltr"


def test_hebrew_and_astral_right_to_left_scripts_count_as_right_to_left() -> None:
    assert text_direction("שלום") == "rtl"
    assert text_direction("𞤀𞤁𞤂 abc 😀") == "ltr"
    assert text_direction("𞤀𞤁𞤂𞤃 abc 😀") == "rtl"


def test_text_direction_agrees_with_unicodedata_for_every_code_point() -> None:
    wrong = []
    for code_point in CODE_POINTS:
        char = chr(code_point)
        bidi = unicodedata.bidirectional(char)
        alone = "rtl" if bidi in ("R", "AL") else "ltr"
        # Against one Hebrew letter, only a left-to-right character makes a tie (and so "ltr").
        beside_hebrew = "ltr" if bidi == "L" else "rtl"
        if (text_direction(char), text_direction(char + "א")) != (alone, beside_hebrew):
            wrong.append(f"U+{code_point:04X}")
    assert wrong == []


def test_removal_agrees_with_unicodedata_for_every_code_point() -> None:
    removed_by_rule = {
        *(ord(c) for c in EXPLICIT_BIDI_CONTROLS),
        0xFEFF,
        *range(0xE0000, 0xE0080),
    }
    wrong = []
    for code_point in CODE_POINTS:
        char = chr(code_point)
        removed = code_point in removed_by_rule or (
            unicodedata.category(char) in ("Cc", "Co", "Cn") and char not in "\n\t"
        )
        expected = "ab" if removed else unicodedata.normalize("NFC", f"a{char}b")
        if char in "\r\u2028\u2029":
            expected = "a\nb"
        if clean_body(f"a{char}b") != expected:
            wrong.append(f"U+{code_point:04X}")
    assert wrong == []


ANY_TEXT = st.text(
    st.characters(codec=None, exclude_categories=["Cs"])
    | st.sampled_from(["\r", "\n", "\u202e", "\u200b", "\u0301", "\u0651", " ", "\t"]),
    max_size=80,
)


def assert_stored_form(text: str) -> None:
    assert unicodedata.is_normalized("NFC", text)
    assert longest_mark_run(text) <= MAX_COMBINING_MARKS
    for char in text:
        assert unicodedata.category(char) not in ("Cc", "Co", "Cn", "Cs") or char in "\n\t"
        assert char not in EXPLICIT_BIDI_CONTROLS and char != "\ufeff" and char != "\r"


@settings(max_examples=500)
@given(ANY_TEXT)
def test_a_cleaned_body_is_nfc_free_of_removed_characters_and_stable(text: str) -> None:
    body = clean_body(text)
    assert_stored_form(body)
    assert "\n\n\n" not in body and body == body.strip()
    assert clean_body(body) == body


@settings(max_examples=500)
@given(ANY_TEXT)
def test_a_cleaned_name_is_one_line_free_of_invisibles_and_stable(text: str) -> None:
    try:
        name = clean_name(text)
    except InvalidText:
        return
    assert_stored_form(name)
    assert name == " ".join(name.split())
    assert not set(name) & set(BIDI_MARKS + ZERO_WIDTH)
    assert clean_name(name) == name


@settings(max_examples=500)
@given(ANY_TEXT)
def test_a_cleaned_line_has_no_line_breaks_or_tabs_and_is_stable(text: str) -> None:
    line = clean_line(text)
    assert_stored_form(line)
    assert "\n" not in line and "\t" not in line and line == line.strip()
    assert clean_line(line) == line
