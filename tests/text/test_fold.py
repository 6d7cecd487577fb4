"""Match keys: Arabic and Latin folding, tokens, clitics, loose readings and duplicate keys."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.text.fold import Folder, Memo, duplicate_key, fold, match_key
from moderation.text.folding import (
    PLAIN_CHARACTERS,
    clitic_forms,
    fold_piece,
    mixes_latin_with_lookalikes,
    shorten_runs,
    without_clitics,
)
from moderation.text.loose import arabizi_key


def tokens(text: str) -> list[str]:
    return list(fold(text).tokens)


def loose_keys(text: str) -> list[str]:
    """The loose reading as searchable strings: letters joined with runs shortened, then (when
    they differ) the leet and the Arabizi readings."""
    loose = fold(text).loose()
    joined = " ".join(map(shorten_runs, loose.joined))
    leet = " ".join(shorten_runs(e or j) for j, e in zip(loose.joined, loose.leet, strict=True))
    arabizi = " ".join(
        a or shorten_runs(j) for j, a in zip(loose.joined, loose.arabizi, strict=True)
    )
    return list(dict.fromkeys((joined, leet, arabizi)))


ARABIC_MARK_CODE_POINTS = [
    *range(0x0610, 0x061B),
    *range(0x064B, 0x0660),
    0x0670,
    *range(0x06D6, 0x06EE),
]


# --- Arabic letters and marks ---------------------------------------------------------------


def test_arabic_diacritics_are_removed() -> None:
    assert match_key("حِمَار") == "حمار"
    assert match_key("الرَّحْمٰنِ") == "الرحمن"


@pytest.mark.parametrize("code_point", ARABIC_MARK_CODE_POINTS, ids=hex)
def test_every_listed_arabic_mark_is_removed(code_point: int) -> None:
    assert match_key(f"حم{chr(code_point)}ار") == "حمار"


def test_latin_accents_are_kept_but_precomposed_and_combining_forms_meet() -> None:
    assert match_key("café") == "café"
    assert match_key("cafe\u0301") == match_key("café")


def test_tatweel_is_removed() -> None:
    assert match_key("حـــمـــار") == "حمار"


def test_arabic_presentation_forms_fold_to_letters() -> None:
    assert match_key("ﺣﻤﺎﺭ") == "حمار"
    assert match_key("ﻻ") == "لا"
    assert match_key("ﷲ") == "الله"


def test_latin_ligatures_and_styled_letters_fold_to_plain_letters() -> None:
    assert match_key("ﬁne") == "fine"
    assert match_key("𝐬𝐩𝐚𝐦") == "spam"


def test_spacing_forms_of_harakat_do_not_split_a_word() -> None:
    assert match_key("ح\ufe70مار") == "حمار"  # NFKC makes it a space plus fathatan


@pytest.mark.parametrize("word", ["أحمد", "إحمد", "آحمد", "ٱحمد", "احمد"])
def test_alef_variants_fold_to_bare_alef(word: str) -> None:
    assert match_key(word) == "احمد"


def test_waw_and_yeh_with_hamza_fold_to_waw_and_yeh() -> None:
    assert match_key("سؤال") == "سوال"
    assert match_key("قائد") == "قايد"


def test_alef_maksura_folds_to_yeh_not_alef() -> None:
    assert match_key("مستشفى") == "مستشفي"
    assert match_key("على") == match_key("علي")


def test_teh_marbuta_folds_to_heh() -> None:
    assert match_key("مدرسة") == match_key("مدرسه") == "مدرسه"


def test_persian_and_urdu_kaf_and_yeh_fold_to_arabic_letters() -> None:
    assert match_key("کتاب") == "كتاب"
    assert match_key("علی") == "علي"
    assert match_key("علے") == "علي"


def test_arabic_letters_other_than_the_unified_ones_are_left_alone() -> None:
    unified = set("أإآةىؤئ")
    for code_point in range(0x0621, 0x064B):
        letter = chr(code_point)
        if letter not in unified and unicodedata.category(letter) == "Lo":
            assert match_key(letter) == letter


# --- Digits, width and case ---------------------------------------------------------------------


def test_arabic_indic_and_eastern_arabic_indic_digits_become_ascii() -> None:
    assert match_key("٣٧") == "37"
    assert match_key("۳۷") == "37"
    assert match_key("３７") == "37"


def test_digits_stay_in_the_exact_key() -> None:
    assert match_key("7mar") == "7mar"
    assert match_key("٧mar") == "7mar"


def test_full_width_latin_folds_to_ascii() -> None:
    assert match_key("ＳＰＡＭ") == "spam"


def test_case_is_folded() -> None:
    assert match_key("SPAM Spam sPaM") == "spam spam spam"
    assert match_key("STRASSE") == match_key("straße")


# --- Look-alike letters ---------------------------------------------------------------------


def test_cyrillic_look_alikes_inside_latin_words_fold_to_latin() -> None:
    assert match_key("sраm") == "spam"  # Cyrillic р and а
    assert match_key("Аdmin") == "admin"  # capital Cyrillic А


def test_greek_look_alikes_fold_to_latin() -> None:
    assert match_key("ΑDMΙN") == "admin"  # Greek capital alpha and iota
    assert match_key("gοοgle") == "google"  # Greek omicron


def test_capital_only_look_alikes_are_caught_before_case_folding() -> None:
    assert match_key("НЕLLО") == "hello"  # Cyrillic Н Е О


def test_look_alike_folding_leaves_arabic_alone() -> None:
    assert match_key("بيروت وعمّان") == "بيروت وعمان"


# --- Invisible and bidi characters ----------------------------------------------------------


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u061c", "\u2060", "\ufeff", "\u00ad"],
    ids=lambda char: f"U+{ord(char):04X}",
)
def test_zero_width_characters_are_removed(invisible: str) -> None:
    assert match_key(f"ح{invisible}مار") == "حمار"
    assert match_key(f"s{invisible}pam") == "spam"


@pytest.mark.parametrize(
    "control",
    [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))],
    ids=lambda char: f"U+{ord(char):04X}",
)
def test_bidi_controls_are_removed(control: str) -> None:
    assert match_key(f"ح{control}مار") == "حمار"
    assert match_key(f"s{control}pam") == "spam"


def test_tag_characters_variation_selectors_and_hangul_fillers_are_removed() -> None:
    assert match_key("spam\U000e0041\U000e0042") == "spam"
    assert match_key("s\ufe0fpam") == "spam"
    assert match_key("\u3164spam") == "spam"
    assert match_key("s\u034fpam") == "spam"


# --- Tokens -----------------------------------------------------------------------------------


def test_punctuation_and_spacing_only_separate_tokens() -> None:
    assert tokens("حمار، كلب؟  قرد!") == ["حمار", "كلب", "قرد"]
    assert match_key("spam-eggs,\n\tham") == "spam eggs ham"


def test_whitespace_variants_separate_tokens() -> None:
    assert match_key("حرب\u00a0أهلية\u3000اليوم") == "حرب اهليه اليوم"


def test_tokens_map_back_to_their_original_span() -> None:
    text = "قال: إنّ الحِمَار هنا"
    folded = fold(text)
    start, end = folded.token_span(2, 2)
    assert text[start:end] == "الحِمَار"


@pytest.mark.parametrize(
    ("token", "stem"),
    [
        ("الحمار", "حمار"),
        ("والحمار", "حمار"),
        ("بالحمار", "حمار"),
        ("كالحمار", "حمار"),
        ("فالحمار", "حمار"),
        ("للحمار", "حمار"),
        ("وحمار", "حمار"),
    ],
)
def test_a_leading_arabic_clitic_can_be_left_off(token: str, stem: str) -> None:
    assert token in without_clitics(token)
    assert stem in without_clitics(token)


def test_waw_and_al_are_left_off_one_at_a_time_too() -> None:
    assert without_clitics("والحمار") == ("والحمار", "حمار", "الحمار")


def test_clitics_are_not_stripped_from_latin_words_or_down_to_a_single_letter() -> None:
    assert without_clitics("walhamar") == ("walhamar",)
    assert without_clitics("وب") == ("وب",)


# --- Idempotence --------------------------------------------------------------------------------


@given(st.text())
def test_folding_any_text_twice_changes_nothing(text: str) -> None:
    key = match_key(text)
    assert match_key(key) == key


ARABIC_HEAVY = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0x08A0, max_codepoint=0x08FF),
        st.characters(min_codepoint=0xFB50, max_codepoint=0xFDFF),
        st.characters(min_codepoint=0xFE70, max_codepoint=0xFEFF),
        st.sampled_from("\u200b\u200c\u200d\u202e\u2066 اbаο1٣"),
    )
)


@given(ARABIC_HEAVY)
def test_folding_arabic_heavy_text_twice_changes_nothing(text: str) -> None:
    key = match_key(text)
    assert match_key(key) == key


# --- Loose keys -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["s.p.a.m", "s p a m", "s-p-a-m", "sssspam", "ssspaaam"])
def test_loose_key_joins_spelled_out_latin_letters_and_shortens_runs(text: str) -> None:
    assert loose_keys(text)[0] == "spam"


@pytest.mark.parametrize("text", ["ب ا ط ل", "ب.ا.ط.ل", "ب-ا-ط-ل", "باااطل", "ببباطل"])
def test_loose_key_joins_spelled_out_arabic_letters_and_shortens_runs(text: str) -> None:
    assert loose_keys(text)[0] == "باطل"


def test_loose_key_shortens_repeated_arabic_letters() -> None:
    assert loose_keys("حمممممار")[0] == "حمار"


def test_loose_key_keeps_real_words_apart() -> None:
    assert loose_keys("هذا رأي   شخصي")[0] == "هذا راي شخصي"


def test_loose_key_drops_latin_accents() -> None:
    assert loose_keys("spàm")[0] == "spam"


def test_leetspeak_is_read_as_letters() -> None:
    assert "spam" in loose_keys("5p4m")
    assert "spam" in loose_keys("$p@m")
    assert "spam" in loose_keys("sp4m!")


def test_arabizi_digits_are_read_as_arabic_letters() -> None:
    assert arabizi_key("7mar") == arabizi_key("حمار") != ""
    assert arabizi_key("5ara") == arabizi_key("خرا") != ""
    assert arabizi_key("3ahra") == arabizi_key("عاهرة") != ""
    assert arabizi_key("7mar") in loose_keys("ya 7mar")[-1]


def test_digits_that_clash_get_both_the_leet_and_the_arabizi_reading() -> None:
    keys = loose_keys("5alas")  # Arabizi خلاص; leet "salas"
    assert "salas" in keys
    assert arabizi_key("خلاص") in keys


def test_arabizi_key_of_a_short_word_is_empty() -> None:
    assert arabizi_key("ya") == ""
    assert arabizi_key("يا") == ""


# --- Duplicates -------------------------------------------------------------------------------


def test_duplicate_key_ignores_diacritics_tatweel_spacing_and_case() -> None:
    plain = "شكرا على المقال الرائع. Great piece!"
    disguised = "  شكراً على   المقـــال الرّائع\n GREAT   piece "
    assert duplicate_key(plain) == duplicate_key(disguised)


def test_duplicate_key_meets_across_longer_repeats() -> None:
    assert duplicate_key("رااااائع جدا") == duplicate_key("رااائع جدا")


def test_duplicate_key_tells_different_comments_apart() -> None:
    assert duplicate_key("الحكومة على حق") != duplicate_key("الحكومة على خطأ")


# --- Mixed scripts ----------------------------------------------------------------------------


def test_latin_mixed_with_cyrillic_look_alikes_is_detected() -> None:
    assert mixes_latin_with_lookalikes("pаypal")  # Cyrillic а
    assert mixes_latin_with_lookalikes("Αdmin")  # Greek Α


def test_latin_next_to_arabic_is_not_mixed_script() -> None:
    assert not mixes_latin_with_lookalikes("Ahmed")
    assert not mixes_latin_with_lookalikes("أحمد")
    assert not mixes_latin_with_lookalikes("Ahmedأحمد")


def test_a_word_entirely_in_look_alike_greek_is_detected_but_real_cyrillic_is_not() -> None:
    assert mixes_latin_with_lookalikes("ΑΡΡΙΕ")
    assert not mixes_latin_with_lookalikes("Иван")


# --- Folding piece by piece, and the caches -------------------------------------------------

# Text that stresses the piece-wise folding: whitespace of every kind, marks after a space,
# characters that NFKC turns into a space and a mark (¨ ´ ﹰ) or into several letters (ﷺ ㏂ ⑴).
PIECEWISE = st.text(
    alphabet=st.one_of(
        st.sampled_from(" \n\r\t\xa0\u2003\u3000¨´\ufe70\ufe72ﷺ㏂⑴\u0301\u0651ـ\u200b"),
        st.sampled_from("aAsS1!$@|'.-اأةىلوب٣"),
        st.characters(),
    )
)


def _per_character_surface(text: str) -> str:
    return "".join(fold(char).surface if not char.isspace() else " " for char in text)


@given(PIECEWISE)
def test_a_text_folds_as_its_characters_fold_one_by_one(text: str) -> None:
    folded = fold(text)
    surface = _per_character_surface(text)
    words = "".join(c if unicodedata.category(c)[0] in "LNM" else " " for c in surface)
    assert folded.surface == surface
    assert folded.tokens == tuple(unicodedata.normalize("NFC", words).split())


@given(PIECEWISE)
def test_every_surface_span_maps_back_to_the_characters_it_came_from(text: str) -> None:
    folded = fold(text)
    origins = [i for i, char in enumerate(text) for _ in _per_character_surface(char)]
    for start in range(len(folded.surface)):
        assert folded.surface_span(start, start + 1) == (origins[start], origins[start] + 1)


@given(PIECEWISE)
def test_token_spans_cover_the_original_text_of_each_token(text: str) -> None:
    folded = fold(text)
    for index, token in enumerate(folded.tokens):
        start, end = folded.token_span(index, index)
        assert token in match_key(text[start:end]).split()  # "¼" gives two tokens, 1 and 4


@given(PIECEWISE)
def test_loose_chunks_are_the_positions_of_the_loose_reading(text: str) -> None:
    folded = fold(text)
    loose = folded.loose()
    chunks = folded.loose_chunks()
    assert tuple(chunk.readings for chunk in chunks) == loose.readings
    assert tuple(chunk.key for chunk in chunks) == loose.keys
    assert [folded.loose_bounds(i) for i in range(len(chunks))] == list(loose.chunks)


@given(PIECEWISE)
def test_what_a_folder_remembers_changes_no_result(text: str) -> None:
    folder = Folder()
    warm = folder.fold(text + " " + text)  # every piece and chunk of the text seen once
    folded = folder.fold(text)
    cold = fold(text)  # nothing remembered
    assert warm.tokens == folded.tokens * 2
    assert (cold.surface, cold.tokens, cold.loose()) == (
        folded.surface,
        folded.tokens,
        folded.loose(),
    )


def test_a_small_folder_forgets_and_still_folds_alike() -> None:
    folder = Folder(limit=2, span_limit=2)
    texts = ["حمار كلب قرد", "spam 5p4m $p@m", "ب ا ط ل", "الرّائع رااااائع"]
    for text in texts * 2:
        folded = folder.fold(text)
        assert (folded.tokens, folded.loose()) == (fold(text).tokens, fold(text).loose())
        assert folded.surface_span(0, 1) == fold(text).surface_span(0, 1)
    assert len(folder.pieces) <= 2 and len(folder.loose_chunks) <= 2


def test_a_full_cache_is_emptied_and_refilled() -> None:
    memo = Memo(str.upper, limit=2)
    assert [memo["a"], memo["b"], memo["c"], memo["a"]] == ["A", "B", "C", "A"]
    assert len(memo) <= 2
    assert memo["x" * 100] == "X" * 100  # computed, not kept
    assert "x" * 100 not in memo


@pytest.mark.parametrize("space", [" ", "\n", "\r\n", "\t", "\xa0", "\u2003", "  \n "])
def test_every_kind_of_whitespace_separates_the_loose_reading_alike(space: str) -> None:
    assert loose_keys(space.join(["ب", "ا", "ط", "ل"]))[0] == "باطل"
    assert loose_keys(space.join(["spam", "here"]))[0] == "spam here"


def test_a_folded_text_gives_the_duplicate_key_of_its_original() -> None:
    body = "  شكراً على   المقـــال الرّائع\n GREAT   piece رااااائع "
    assert fold(body).duplicate_key() == duplicate_key(body)
    assert duplicate_key(body) == "شكرا علي المقال الرايع great piece راايع"


@given(st.text(alphabet="والبكفحماري"))
def test_clitic_forms_are_exactly_the_tokens_read_as_the_stem(token: str) -> None:
    for stem in without_clitics(token):
        assert token in clitic_forms(stem)
    for form in clitic_forms(token):
        assert token in without_clitics(form)


@given(st.text(alphabet="".join(PLAIN_CHARACTERS) + "أة.A ", max_size=30))
def test_words_that_fold_to_themselves_take_a_short_way_to_the_same_result(text: str) -> None:
    folded = fold(text)
    surface = _per_character_surface(text)
    words = "".join(c if unicodedata.category(c)[0] in "LNM" else " " for c in surface)
    assert (folded.surface, folded.tokens) == (surface, tuple(words.split()))
    for piece in text.split(" "):
        general = fold_piece(piece + "\u200b")  # invisible: not a plain word
        assert fold_piece(piece)[:6] == general[:6]
