"""Statements of reasons in the DSA Transparency Database's terms: every decision we can take
maps to a statement the API accepts, the schema refuses what the API (or our privacy rules)
would refuse, and texts are cut to the API's limits, in Arabic and English."""

from __future__ import annotations

import copy
import itertools
import json
import re
import time
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.domain import Reason, ReportCategory, SystemReason
from moderation.transparency import statement_schema
from moderation.transparency.mapping import (
    EEA_COUNTRIES,
    ELLIPSIS,
    EMAIL_REMOVED,
    EXPLANATION_MAX,
    FACTS_MAX,
    GROUND_MAX,
    REASONS,
    REPORT_CATEGORIES,
    AutomatedDecision,
    DecisionKind,
    StatementFacts,
    classify,
    mapping_table,
    reference_url,
    shorten,
    statement_for,
)

VALIDATOR = jsonschema.Draft202012Validator(
    statement_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
ROOT = Path(__file__).resolve().parents[2]

ENGLISH = "Calling a group of people vermin is not allowed here."
ARABIC = "وصفُ مجموعةٍ من الناس بالحشرات غيرُ مسموحٍ به هنا."


def facts(**changes: Any) -> StatementFacts:
    values: dict[str, Any] = {
        "puid": "st_7f3a9c-01",
        "decision": DecisionKind.TAKEN_DOWN,
        "reason": Reason.HATE_SPEECH,
        "report_category": ReportCategory.HATE_SPEECH,
        "legal_ground": None,
        "legal_explanation": None,
        "public_explanation": ENGLISH,
        "terms_url": "https://news.example/terms",
        "automated_detection": False,
        "automated_decision": AutomatedDecision.NOT_AUTOMATED,
        "content_date": date(2026, 11, 2),
        "application_date": date(2026, 11, 3),
        "content_language": "en",
    }
    return StatementFacts(**(values | changes))


def errors(statement: dict[str, Any]) -> list[jsonschema.ValidationError]:
    return list(VALIDATOR.iter_errors(statement))


def assert_valid(statement: dict[str, Any]) -> None:
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in errors(statement)]
    assert problems == [], statement


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(statement_schema())
    assert statement_schema()["additionalProperties"] is False


REASON_CODES: list[str | None] = [*REASONS, None]
REPORTS: list[ReportCategory | None] = [*ReportCategory, None]


@pytest.mark.parametrize("reason", REASON_CODES)
@pytest.mark.parametrize("report", REPORTS)
def test_every_reason_notice_and_automation_gives_a_statement_the_api_accepts(
    reason: str | None, report: ReportCategory | None
) -> None:
    for detected, decided, kind, legal in itertools.product(
        (True, False), AutomatedDecision, DecisionKind, (None, "§ 130 StGB")
    ):
        statement = statement_for(
            facts(
                reason=reason,
                report_category=report,
                automated_detection=detected,
                automated_decision=decided,
                decision=kind,
                legal_ground=legal,
            )
        )
        assert_valid(statement)
        assert statement["source_type"] == (
            "SOURCE_VOLUNTARY" if report is None else "SOURCE_ARTICLE_16"
        )
        assert statement["automated_detection"] == ("Yes" if detected else "No")
        assert statement["automated_decision"] == decided.value


def test_every_reason_code_and_report_category_has_a_mapping() -> None:
    assert set(REASONS) == {*Reason, SystemReason.BANNED_TERM}
    assert set(REPORT_CATEGORIES) == set(ReportCategory)
    categories = set(statement_schema()["properties"]["category"]["enum"])
    keywords = set(statement_schema()["properties"]["category_specification"]["items"]["enum"])
    for kind in [*REASONS.values(), *REPORT_CATEGORIES.values()]:
        assert kind.category in categories
        assert set(kind.keywords) <= keywords


@pytest.mark.parametrize(
    ("reason", "report", "illegal", "category", "keywords"),
    [
        # the moderator's specific reason wins over what the reader reported
        (Reason.SPAM, ReportCategory.HATE_SPEECH, False, "OTHER_VIOLATION_TC", ()),
        (Reason.HARASSMENT, None, False, "CYBER_VIOLENCE", ("KEYWORD_CYBER_HARASSMENT",)),
        (Reason.ABUSIVE, None, False, "CYBER_VIOLENCE", ("KEYWORD_CYBER_BULLYING_INTIMIDATION",)),
        # a reason that says nothing about the content: the notice's category tells more
        (
            Reason.OTHER,
            ReportCategory.HATE_SPEECH,
            False,
            "ILLEGAL_OR_HARMFUL_SPEECH",
            ("KEYWORD_HATE_SPEECH",),
        ),
        (None, ReportCategory.PRIVACY, False, "DATA_PROTECTION_AND_PRIVACY_VIOLATIONS", ()),
        (
            Reason.ILLEGAL_CONTENT,
            ReportCategory.VIOLENCE_OR_THREAT,
            False,
            "VIOLENCE",
            ("KEYWORD_INCITEMENT_VIOLENCE_HATRED",),
        ),
        # illegal, of no stated type
        (Reason.ILLEGAL_CONTENT, ReportCategory.ILLEGAL_CONTENT, True, "NOT_SPECIFIED_NOTICE", ()),
        (Reason.OTHER, ReportCategory.ILLEGAL_CONTENT, False, "NOT_SPECIFIED_NOTICE", ()),
        (Reason.OTHER, ReportCategory.OTHER, True, "NOT_SPECIFIED_NOTICE", ()),
        (Reason.ILLEGAL_CONTENT, None, False, "ILLEGAL_OR_HARMFUL_SPEECH", ()),
        (Reason.OTHER, None, True, "ILLEGAL_OR_HARMFUL_SPEECH", ()),
        # nothing specific at all
        (Reason.OTHER, ReportCategory.OTHER, False, "OTHER_VIOLATION_TC", ()),
        (SystemReason.BANNED_TERM, None, False, "OTHER_VIOLATION_TC", ()),
    ],
)
def test_the_category_comes_from_the_most_specific_code(
    reason: str | None,
    report: ReportCategory | None,
    illegal: bool,
    category: str,
    keywords: tuple[str, ...],
) -> None:
    kind = classify(reason, report, illegal=illegal)
    assert (kind.category, kind.keywords) == ("STATEMENT_CATEGORY_" + category, keywords)


def test_a_legal_ground_makes_it_a_decision_on_illegal_content() -> None:
    statement = statement_for(
        facts(
            reason=Reason.ILLEGAL_CONTENT,
            legal_ground="§ 185 StGB (insult)",
            legal_explanation="The comment calls a named official a criminal without any basis.",
        )
    )
    assert_valid(statement)
    assert statement["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement["illegal_content_legal_ground"] == "§ 185 StGB (insult)"
    assert statement["illegal_content_explanation"].startswith("The comment calls")
    assert not any(key.startswith("incompatible") for key in statement)
    # the terms are not the law relied upon
    assert "decision_ground_reference_url" not in statement


def test_a_legal_ground_without_an_explanation_borrows_the_public_one() -> None:
    statement = statement_for(
        facts(legal_ground="المادة 20 من قانون العقوبات", public_explanation=ARABIC)
    )
    assert statement["illegal_content_explanation"] == ARABIC


def test_illegal_content_without_a_legal_ground_is_a_breach_of_the_terms_marked_illegal() -> None:
    statement = statement_for(facts(reason=Reason.ILLEGAL_CONTENT, report_category=None))
    assert_valid(statement)
    assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert statement["incompatible_content_illegal"] == "Yes"
    assert statement["decision_ground_reference_url"] == "https://news.example/terms"
    assert statement["incompatible_content_ground"] == (
        "The site's terms of use for comments (illegal content)"
    )
    assert "incompatible_content_illegal" not in statement_for(facts(reason=Reason.SPAM))


def test_a_word_rule_rejection_is_automated_and_names_no_term() -> None:
    statement = statement_for(
        facts(
            decision=DecisionKind.REJECTED,
            reason=SystemReason.BANNED_TERM,
            report_category=None,
            public_explanation=None,
            automated_detection=True,
            automated_decision=AutomatedDecision.FULLY,
        )
    )
    assert_valid(statement)
    assert statement["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert statement["source_type"] == "SOURCE_VOLUNTARY"
    assert statement["automated_detection"] == "Yes"
    assert statement["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert statement["decision_facts"] == (
        "The comment was rejected before publication and is not shown on the site. "
        "The decision was taken on the site's own initiative. "
        "Reason: contains a term the site does not allow."
    )


def test_a_notice_is_told_in_the_facts_by_its_category_only() -> None:
    statement = statement_for(facts(reason=None, report_category=ReportCategory.HARASSMENT))
    assert statement["decision_facts"].startswith(
        "The comment was taken down after publication and is no longer shown on the site. "
        "The decision followed a notice from a reader, who reported the comment as: "
        "harassment. Reason: not specified."
    )


@pytest.mark.parametrize("explanation", [ENGLISH, ARABIC])
def test_the_public_explanation_is_carried_in_arabic_and_english(explanation: str) -> None:
    statement = statement_for(
        facts(
            public_explanation=explanation, content_language="ar" if explanation == ARABIC else "en"
        )
    )
    assert_valid(statement)
    assert statement["incompatible_content_explanation"] == explanation
    assert statement["decision_facts"].endswith(f"Explanation: {explanation}")
    assert statement["content_language"] == ("AR" if explanation == ARABIC else "EN")


def test_without_an_explanation_a_fixed_sentence_explains() -> None:
    statement = statement_for(facts(reason=Reason.OFF_TOPIC, public_explanation="  \u200b "))
    assert_valid(statement)
    assert statement["incompatible_content_explanation"] == (
        "The comment breaks the site's terms of use for comments. Reason: off topic."
    )
    assert "Explanation" not in statement["decision_facts"]


@pytest.mark.parametrize(
    ("field", "facts_field", "limit"),
    [
        ("incompatible_content_explanation", "public_explanation", EXPLANATION_MAX),
        ("illegal_content_legal_ground", "legal_ground", GROUND_MAX),
        ("illegal_content_explanation", "legal_explanation", EXPLANATION_MAX),
    ],
)
@pytest.mark.parametrize("word", ["بالحشراتِ", "vermin"])
def test_long_texts_are_cut_to_the_api_limit_with_an_ellipsis(
    field: str, facts_field: str, limit: int, word: str
) -> None:
    changes: dict[str, Any] = {facts_field: " ".join([word] * 1000)}
    if facts_field == "legal_explanation":
        changes["legal_ground"] = "Art. 10 of the law"
    statement = statement_for(facts(**changes))
    assert_valid(statement)
    text = statement[field]
    assert limit - 20 < len(text) <= limit
    assert text.endswith(word + ELLIPSIS)  # cut between words


def test_the_schema_refuses_a_text_one_character_over_the_limit() -> None:
    statement = statement_for(facts(legal_ground="x" * GROUND_MAX))
    assert_valid(statement)
    statement["illegal_content_legal_ground"] += "x"
    assert [e.validator for e in errors(statement)] == ["maxLength"]


def test_the_facts_are_cut_to_5000_characters() -> None:
    long = " ".join(["word"] * 2000)
    assert len(shorten(long, FACTS_MAX)) <= FACTS_MAX
    statement = statement_for(facts(public_explanation=long))
    assert len(statement["decision_facts"]) <= FACTS_MAX
    assert_valid(statement)


def test_shorten_leaves_a_short_text_alone_and_never_splits_a_letter_from_its_marks() -> None:
    assert shorten(ARABIC, 100) == ARABIC
    assert shorten("abc", 3) == "abc"
    assert shorten("abcd", 3) == "ab" + ELLIPSIS
    marked = "بِّ" * 10  # a letter with shadda and kasra, no spaces
    cut = shorten(marked, 8)
    assert len(cut) <= 8 and cut.endswith(ELLIPSIS)
    assert not unicodedata.combining(cut[0])
    assert cut[:-1] == "بِّ" * ((len(cut) - 1) // 3)
    family = "👩\u200d👩\u200d👧" * 5
    assert shorten(family, 7) == "👩\u200d👩\u200d👧" + ELLIPSIS


@pytest.mark.parametrize("text", [ENGLISH, ARABIC])
def test_email_addresses_never_reach_a_statement(text: str) -> None:
    statement = statement_for(
        facts(
            public_explanation=f"{text} Contact: reader.one@example.com, (ليلى@مثال.مصر)",
            legal_ground="Complaint by x@example.org",
        )
    )
    assert_valid(statement)
    assert "@" not in json.dumps(statement, ensure_ascii=False)
    assert statement["illegal_content_explanation"].count(EMAIL_REMOVED) == 2


def test_removing_email_addresses_takes_linear_time() -> None:
    started = time.perf_counter()
    statement_for(facts(public_explanation="a" * 100_000 + " b@" + "c" * 100_000))
    assert time.perf_counter() - started < 0.5  # a backtracking search would take minutes


@settings(max_examples=150, deadline=None)
@given(
    explanation=st.one_of(st.none(), st.text(max_size=3000)),
    ground=st.one_of(st.none(), st.text(max_size=700)),
)
def test_any_text_a_moderator_writes_gives_a_valid_statement(
    explanation: str | None, ground: str | None
) -> None:
    assert_valid(statement_for(facts(public_explanation=explanation, legal_ground=ground)))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/terms", "https://news.example/terms"),
        (
            "HTTPS://News.Example:8443/terms?lang=ar#comments",
            "https://news.example:8443/terms?lang=ar#comments",
        ),
        ("https://news.example/ar/شروط", "https://news.example/ar/%D8%B4%D8%B1%D9%88%D8%B7"),
        ("https://أخبار.مثال/شروط", "https://xn--igbicxr.xn--mgbh0fb/%D8%B4%D8%B1%D9%88%D8%B7"),
        ("https://news.example/a%20b", "https://news.example/a%20b"),
        ("https://news.example/" + "t" * 500, None),
        ("http://localhost/terms", None),
        ("javascript:alert(1)", None),
        ("ftp://news.example/terms", None),
        ("https://[::1/terms", None),
        ("", None),
        (None, None),
    ],
)
def test_the_terms_url_is_given_as_the_api_takes_it(url: str | None, expected: str | None) -> None:
    assert reference_url(url) == expected
    statement = statement_for(facts(terms_url=url, reason=Reason.SPAM))
    assert_valid(statement)
    assert statement.get("decision_ground_reference_url") == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ar", "AR"), ("en-GB", "EN"), ("AR", "AR"), ("xx", None), (None, None)],
)
def test_the_content_language_is_an_upper_case_iso_639_1_code_or_absent(
    language: str | None, expected: str | None
) -> None:
    statement = statement_for(facts(content_language=language))
    assert statement.get("content_language") == expected
    assert_valid(statement)


def test_dates_are_days_and_the_default_scope_is_every_eu_and_eea_country() -> None:
    moment = datetime(2026, 11, 3, 23, 59, tzinfo=UTC)
    statement = statement_for(facts(content_date=moment, application_date=moment))
    assert statement["content_date"] == statement["application_date"] == "2026-11-03"
    assert statement["territorial_scope"] == list(EEA_COUNTRIES)
    assert len(EEA_COUNTRIES) == 30 and "GR" in EEA_COUNTRIES and "GB" not in EEA_COUNTRIES
    narrow = statement_for(facts(territorial_scope=("FR", "DE", "FR")))
    assert narrow["territorial_scope"] == ["DE", "FR"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reason": "trusted_author"}, "reason code"),
        ({"reason": "made_up"}, "reason code"),
        ({"puid": "has space"}, "puid"),
        ({"puid": "abc\n"}, "puid"),
        ({"puid": ""}, "puid"),
        ({"puid": "p" * 501}, "puid"),
        ({"territorial_scope": ("GB",)}, "territorial_scope"),
        ({"territorial_scope": ()}, "territorial_scope"),
        ({"content_date": date(1999, 12, 31)}, "content_date"),
        ({"application_date": date(2019, 12, 31)}, "application_date"),
        ({"application_date": date(2038, 1, 2)}, "application_date"),
    ],
)
def test_facts_no_statement_can_carry_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        statement_for(facts(**changes))


def valid_statement() -> dict[str, Any]:
    return statement_for(facts())


def illegal_statement() -> dict[str, Any]:
    return statement_for(facts(legal_ground="§ 130 StGB", legal_explanation="Incites hatred."))


def drop(field: str) -> Any:
    return lambda s: s.pop(field)


def put(field: str, value: Any) -> Any:
    return lambda s: s.__setitem__(field, value)


@pytest.mark.parametrize(
    ("make", "change", "field"),
    [
        (illegal_statement, drop("illegal_content_explanation"), "illegal_content_explanation"),
        (illegal_statement, drop("illegal_content_legal_ground"), "illegal_content_legal_ground"),
        (
            illegal_statement,
            put("illegal_content_explanation", "   "),
            "illegal_content_explanation",
        ),
        (
            illegal_statement,
            put("incompatible_content_ground", "Terms"),
            "incompatible_content_ground",
        ),
        (
            valid_statement,
            drop("incompatible_content_explanation"),
            "incompatible_content_explanation",
        ),
        (
            valid_statement,
            put("illegal_content_legal_ground", "Art. 1"),
            "illegal_content_legal_ground",
        ),
        (valid_statement, put("category", "STATEMENT_CATEGORY_HATE_SPEECH"), "category"),
        (
            valid_statement,
            put("category_specification", ["KEYWORD_SPAM"]),
            "category_specification",
        ),
        (valid_statement, put("email", "reader@example.com"), "email"),
        (valid_statement, put("source_identity", "Leila Haddad"), "source_identity"),
        (valid_statement, put("decision_ground", "DECISION_GROUND_OTHER"), "decision_ground"),
        (valid_statement, put("decision_visibility", []), "decision_visibility"),
        (valid_statement, drop("decision_visibility"), "decision_visibility"),
        (
            valid_statement,
            put("decision_visibility", ["DECISION_VISIBILITY_OTHER"]),
            "decision_visibility_other",
        ),
        (valid_statement, put("content_type", ["CONTENT_TYPE_OTHER"]), "content_type_other"),
        (valid_statement, put("content_type_other", "Comment"), "content_type_other"),
        (valid_statement, put("content_type", "CONTENT_TYPE_TEXT"), "content_type"),
        (valid_statement, put("territorial_scope", ["EL"]), "territorial_scope"),
        (valid_statement, put("territorial_scope", ["FR", "FR"]), "territorial_scope"),
        (valid_statement, drop("territorial_scope"), "territorial_scope"),
        (valid_statement, put("content_language", "ar"), "content_language"),
        (valid_statement, put("content_date", "2026-2-3"), "content_date"),
        (valid_statement, put("content_date", "2026-02-30"), "content_date"),
        (valid_statement, put("content_date", "1999-12-31"), "content_date"),
        (valid_statement, put("content_date", "2026-11-02\n"), "content_date"),
        (valid_statement, put("application_date", "2038-01-02"), "application_date"),
        (valid_statement, put("application_date", "2019-06-01"), "application_date"),
        (valid_statement, put("decision_facts", "x" * 5001), "decision_facts"),
        (valid_statement, drop("decision_facts"), "decision_facts"),
        (valid_statement, put("source_type", "SOURCE_REPORT"), "source_type"),
        (valid_statement, put("automated_detection", True), "automated_detection"),
        (valid_statement, put("automated_decision", "No"), "automated_decision"),
        (valid_statement, put("puid", "st 1"), "puid"),
        (valid_statement, put("puid", "st_1\n"), "puid"),
        (valid_statement, put("puid", "p" * 501), "puid"),
        (valid_statement, drop("puid"), "puid"),
        (
            valid_statement,
            put("decision_ground_reference_url", "javascript:alert(1)"),
            "decision_ground_reference_url",
        ),
        (
            valid_statement,
            put("incompatible_content_illegal", "yes"),
            "incompatible_content_illegal",
        ),
        (
            valid_statement,
            put("end_date_visibility_restriction", None),
            "end_date_visibility_restriction",
        ),
    ],
)
def test_the_schema_refuses_what_the_api_or_our_privacy_rules_refuse(
    make: Any, change: Any, field: str
) -> None:
    statement = make()
    assert_valid(statement)
    changed = copy.deepcopy(statement)
    change(changed)
    found = errors(changed)
    assert found, f"{field} was accepted"
    # the field, as the error's instance path, its schema path or in its message
    every = [*found, *(sub for e in found for sub in e.context)]
    named = {
        *(str(part) for e in every for part in (*e.absolute_path, *e.schema_path)),
        *(name for e in every for name in re.findall(r"'([a-z_]+)'", e.message)),
    }
    assert field in named, [e.message for e in found]


def test_the_schema_accepts_the_api_documentation_example_restricted_to_our_rules() -> None:
    # resources/markdown/api-documentation.md's example, less the two ground fields the API
    # would drop for an incompatible-content ground.
    example = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"],
        "decision_monetary": "DECISION_MONETARY_TERMINATION",
        "end_date_monetary_restriction": "2023-08-08",
        "decision_provision": "DECISION_PROVISION_TOTAL_SUSPENSION",
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "account_type": "ACCOUNT_TYPE_BUSINESS",
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "decision_ground_reference_url": "https://www.anurl.com",
        "content_type": [
            "CONTENT_TYPE_VIDEO",
            "CONTENT_TYPE_AUDIO",
            "CONTENT_TYPE_SYNTHETIC_MEDIA",
        ],
        "category": "STATEMENT_CATEGORY_CYBER_VIOLENCE_AGAINST_WOMEN",
        "incompatible_content_ground": "incompatible content grounds",
        "incompatible_content_explanation": "incompatible content explanation",
        "incompatible_content_illegal": "Yes",
        "territorial_scope": ["PT", "ES", "DE"],
        "content_language": "EN",
        "content_date": "2023-08-08",
        "content_id": {"EAN-13": "0123456789123"},
        "application_date": "2023-08-08",
        "decision_facts": "facts about the decision",
        "source_type": "SOURCE_TRUSTED_FLAGGER",
        "automated_detection": "No",
        "automated_decision": "AUTOMATED_DECISION_PARTIALLY",
        "puid": "TK421",
    }
    assert_valid(example)


def test_the_documented_mapping_table_is_the_one_in_the_code() -> None:
    page = (ROOT / "docs" / "transparency-mapping.md").read_text(encoding="utf-8")
    assert mapping_table() in page
