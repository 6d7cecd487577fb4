"""Our reason codes and report categories in the terms of the EU DSA Transparency Database, and
one statement of reasons built from a decision's facts. Pure: no I/O, no personal data.

The table and its rules are documented in docs/transparency-mapping.md (a test keeps that page
equal to `mapping_table()`). The API's vocabularies (countries, languages, the puid and URL
patterns) are read from statement.schema.json, so the schema stays their one source."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from ..domain import Reason, ReportCategory, SystemReason
from . import statement_schema

# The API's length limits (max:N in StatementStoreRequest.php, counted in code points).
GROUND_MAX = 500
EXPLANATION_MAX = 2000
FACTS_MAX = 5000
URL_MAX = 500
ELLIPSIS = "…"

_PROPERTIES = statement_schema()["properties"]
# Every country the API accepts (EU and EEA): a comment taken down is gone for every reader.
EEA_COUNTRIES: tuple[str, ...] = tuple(sorted(_PROPERTIES["territorial_scope"]["items"]["enum"]))
_LANGUAGES = frozenset(_PROPERTIES["content_language"]["enum"])
# Both patterns are linear: one character class per run, each run ended by a character it lacks.
_PUID = re.compile(_PROPERTIES["puid"]["pattern"])
_REFERENCE_URL = re.compile(_PROPERTIES["decision_ground_reference_url"]["pattern"])

CONTENT_REMOVED = "DECISION_VISIBILITY_CONTENT_REMOVED"
GROUND_ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
GROUND_INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
SOURCE_NOTICE = "SOURCE_ARTICLE_16"
SOURCE_OWN_INITIATIVE = "SOURCE_VOLUNTARY"


class DecisionKind(StrEnum):
    REJECTED = "rejected"  # refused before publication, by a moderator or a word rule
    TAKEN_DOWN = "taken_down"  # published, then removed


class AutomatedDecision(StrEnum):
    """Whether a decision was taken by automated means; the values are the API's."""

    FULLY = "AUTOMATED_DECISION_FULLY"
    PARTIALLY = "AUTOMATED_DECISION_PARTIALLY"
    NOT_AUTOMATED = "AUTOMATED_DECISION_NOT_AUTOMATED"


@dataclass(frozen=True, slots=True)
class Classification:
    """A code in the API's terms: `category` (+ `category_specification` keywords)."""

    label: str  # the code in words, for decision_facts
    category: str
    keywords: tuple[str, ...] = ()
    # False where the code says nothing about the kind of content ("other", a word rule).
    specific: bool = True


_OTHER_TC = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
_SPAM = Classification("spam", _OTHER_TC)
_HATE_SPEECH = Classification(
    "hate speech", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", ("KEYWORD_HATE_SPEECH",)
)
_HARASSMENT = Classification(
    "harassment", "STATEMENT_CATEGORY_CYBER_VIOLENCE", ("KEYWORD_CYBER_HARASSMENT",)
)
_MISINFORMATION = Classification(
    "misinformation",
    "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    ("KEYWORD_MISINFORMATION_DISINFORMATION",),
)
_OTHER = Classification("other", _OTHER_TC, specific=False)

# The reason codes of decisions: moderators' (domain.Reason) and the system's own.
REASONS: Mapping[str, Classification] = {
    Reason.SPAM: _SPAM,
    Reason.OFFENSIVE: Classification("offensive content", _OTHER_TC),
    Reason.ABUSIVE: Classification(
        "abusive content",
        "STATEMENT_CATEGORY_CYBER_VIOLENCE",
        ("KEYWORD_CYBER_BULLYING_INTIMIDATION",),
    ),
    Reason.HATE_SPEECH: _HATE_SPEECH,
    Reason.HARASSMENT: _HARASSMENT,
    Reason.ILLEGAL_CONTENT: Classification(
        "illegal content", "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH", specific=False
    ),
    Reason.MISINFORMATION: _MISINFORMATION,
    Reason.ADVERTISING: Classification("advertising", _OTHER_TC),
    Reason.OFF_TOPIC: Classification("off topic", _OTHER_TC),
    Reason.OTHER: _OTHER,
    SystemReason.BANNED_TERM: Classification(
        "contains a term the site does not allow", _OTHER_TC, specific=False
    ),
}

# What readers report (issue 12, DSA Art. 16 notices).
REPORT_CATEGORIES: Mapping[ReportCategory, Classification] = {
    ReportCategory.ILLEGAL_CONTENT: Classification(
        "illegal content", "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE", specific=False
    ),
    ReportCategory.HATE_SPEECH: _HATE_SPEECH,
    ReportCategory.HARASSMENT: _HARASSMENT,
    ReportCategory.VIOLENCE_OR_THREAT: Classification(
        "violence or threat", "STATEMENT_CATEGORY_VIOLENCE", ("KEYWORD_INCITEMENT_VIOLENCE_HATRED",)
    ),
    ReportCategory.PRIVACY: Classification(
        "privacy", "STATEMENT_CATEGORY_DATA_PROTECTION_AND_PRIVACY_VIOLATIONS"
    ),
    ReportCategory.MISINFORMATION: _MISINFORMATION,
    ReportCategory.SPAM: _SPAM,
    ReportCategory.OTHER: _OTHER,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementFacts:
    """What a statement says about one decision. Nothing here may identify a person: no names,
    addresses, comment text or banned terms (a site may ban a person's name)."""

    puid: str  # the statement's public reference: letters, digits, - and _, ≤ 500
    decision: DecisionKind
    reason: str | None  # a Reason or SystemReason value, or None when none was given
    report_category: ReportCategory | None  # the notice's category when one led to the decision
    legal_ground: str | None  # given by the moderator: the decision is then on illegal grounds
    legal_explanation: str | None
    public_explanation: str | None  # the moderator's explanation for the author (not the note)
    terms_url: str | None
    automated_detection: bool
    automated_decision: AutomatedDecision
    content_date: date  # in UTC; only the date part of a datetime is used
    application_date: date
    content_language: str | None  # ISO 639-1 ("ar", "en"; a region subtag is ignored)
    territorial_scope: tuple[str, ...] = EEA_COUNTRIES


def classify(
    reason: str | None, report: ReportCategory | None, *, illegal: bool = False
) -> Classification:
    """The category of a decision: the moderator's reason where it is specific, else the
    notice's category where that is, else unspecified illegal content where the reason, the
    notice or a legal ground (`illegal`) says so, else a violation of the terms."""
    own = _reason(reason)
    if own.specific:
        return own
    if report is not None and REPORT_CATEGORIES[report].specific:
        return REPORT_CATEGORIES[report]
    if illegal or reason == Reason.ILLEGAL_CONTENT or report == ReportCategory.ILLEGAL_CONTENT:
        if report is not None:
            return REPORT_CATEGORIES[ReportCategory.ILLEGAL_CONTENT]
        return REASONS[Reason.ILLEGAL_CONTENT]
    return own


def statement_for(facts: StatementFacts) -> dict[str, Any]:
    """One statement of reasons in the API's field names and values, valid against
    statement.schema.json. Texts longer than the API allows are cut, ending with an ellipsis.

    Raises ValueError for facts no statement can carry: an unknown reason code, a puid the API
    refuses, a country outside the EU/EEA, a date outside the API's range."""
    if not _PUID.match(facts.puid) or len(facts.puid) > _PROPERTIES["puid"]["maxLength"]:
        raise ValueError("a puid is 1 to 500 letters, digits, - and _")
    outside = set(facts.territorial_scope) - set(EEA_COUNTRIES)
    if outside or not facts.territorial_scope:
        raise ValueError(f"territorial_scope must be EU/EEA countries, not {sorted(outside)}")
    reason = _reason(facts.reason)
    words = "not specified" if facts.reason is None else reason.label
    legal_ground = _text(facts.legal_ground, GROUND_MAX)
    explanation = _text(facts.public_explanation, EXPLANATION_MAX)
    kind = classify(facts.reason, facts.report_category, illegal=legal_ground is not None)

    statement: dict[str, Any] = {
        "decision_visibility": [CONTENT_REMOVED],
        "decision_ground": GROUND_INCOMPATIBLE if legal_ground is None else GROUND_ILLEGAL,
    }
    if legal_ground is None:
        url = reference_url(facts.terms_url)
        if url is not None:
            statement["decision_ground_reference_url"] = url
        statement["incompatible_content_ground"] = f"The site's terms of use for comments ({words})"
        statement["incompatible_content_explanation"] = explanation or (
            f"The comment breaks the site's terms of use for comments. Reason: {words}."
        )
        if facts.reason == Reason.ILLEGAL_CONTENT:
            # Illegal, but no legal ground was given: the terms are the ground relied on.
            statement["incompatible_content_illegal"] = "Yes"
    else:
        statement["illegal_content_legal_ground"] = legal_ground
        statement["illegal_content_explanation"] = (
            _text(facts.legal_explanation, EXPLANATION_MAX)
            or explanation
            or "The comment was found to be illegal on the legal ground stated."
        )
    statement["content_type"] = ["CONTENT_TYPE_TEXT"]
    statement["category"] = kind.category
    if kind.keywords:
        statement["category_specification"] = list(kind.keywords)
    statement["territorial_scope"] = sorted(set(facts.territorial_scope))
    language = _language(facts.content_language)
    if language is not None:
        statement["content_language"] = language
    statement["content_date"] = _day(facts.content_date, "content_date", 2000)
    statement["application_date"] = _day(facts.application_date, "application_date", 2020)
    statement["decision_facts"] = _decision_facts(facts, words, explanation)
    statement["source_type"] = (
        SOURCE_OWN_INITIATIVE if facts.report_category is None else SOURCE_NOTICE
    )
    statement["automated_detection"] = "Yes" if facts.automated_detection else "No"
    statement["automated_decision"] = facts.automated_decision.value
    statement["puid"] = facts.puid
    return statement


def _reason(reason: str | None) -> Classification:
    try:
        return REASONS[Reason.OTHER if reason is None else reason]
    except KeyError:
        raise ValueError(f"no statement of reasons for the reason code {reason!r}") from None


def _decision_facts(facts: StatementFacts, reason: str, explanation: str | None) -> str:
    parts = [
        "The comment was rejected before publication and is not shown on the site."
        if facts.decision is DecisionKind.REJECTED
        else "The comment was taken down after publication and is no longer shown on the site.",
        "The decision was taken on the site's own initiative."
        if facts.report_category is None
        else "The decision followed a notice from a reader, who reported the comment as: "
        f"{REPORT_CATEGORIES[facts.report_category].label}.",
        f"Reason: {reason}.",
    ]
    if explanation is not None:
        parts.append(f"Explanation: {explanation}")
    return shorten(" ".join(parts), FACTS_MAX)


def _day(value: date, field: str, first_year: int) -> str:
    day = date(value.year, value.month, value.day)  # a datetime's date, without its time
    if not date(first_year, 1, 1) <= day <= date(2038, 1, 1):
        raise ValueError(f"{field} must be from {first_year}-01-01 to 2038-01-01")
    return day.isoformat()


def _language(code: str | None) -> str | None:
    primary = (code or "").split("-", 1)[0].upper()
    return primary if primary in _LANGUAGES else None


# Trimmed away by the API (PHP's trim() and Laravel's TrimStrings) besides whitespace, so a
# text of only these would be empty there.
_TRIMMED = frozenset("\x00\ufeff\u200b\u200e")
# A whitespace-delimited token with an @ inside: an email address, never published. The
# lookbehind lets a match start only at a token's start, which keeps the search linear.
_EMAIL = re.compile(r"(?<!\S)[^\s@]+@\S+")
EMAIL_REMOVED = "[email address removed]"


def _text(value: str | None, limit: int) -> str | None:
    """A free text as the API takes it: without email addresses, trimmed, cut to `limit`;
    None where nothing is left."""
    if value is None:
        return None
    text = _EMAIL.sub(EMAIL_REMOVED, value)
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or text[start] in _TRIMMED):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _TRIMMED):
        end -= 1
    return shorten(text[start:end], limit) if end > start else None


def shorten(text: str, limit: int) -> str:
    """`text` if it has at most `limit` code points; else its start, cut at a space near the
    limit where there is one and never inside a character's combining marks (Arabic vowel
    signs, emoji sequences), followed by an ellipsis: `limit` code points at most."""
    if len(text) <= limit:
        return text
    cut = limit - len(ELLIPSIS)
    floor = max(0, cut - 16)
    while cut > floor and _continues(text[cut]):
        cut -= 1
    for space in range(cut, max(0, cut - 40), -1):
        if text[space].isspace():
            cut = space
            break
    return text[:cut].rstrip() + ELLIPSIS


def _continues(char: str) -> bool:
    """Whether `char` belongs to the character before it (a mark, a joiner, a modifier)."""
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char in "\u200c\u200d\ufe0e\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
    )


def reference_url(url: str | None) -> str | None:
    """The terms' address as the API takes it (an ASCII http(s) URL of at most 500 characters):
    an international host in IDNA, the rest percent-encoded. None where that is not possible."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port
    except (ValueError, UnicodeError):
        return None
    safe = "!$&'()*+,;=:@%"
    ascii_url = urlunsplit(
        (
            parts.scheme.lower(),
            host if port is None else f"{host}:{port}",
            quote(parts.path, safe=safe + "/"),
            quote(parts.query, safe=safe + "/?"),
            quote(parts.fragment, safe=safe + "/?"),
        )
    )
    if len(ascii_url) > URL_MAX or not _REFERENCE_URL.match(ascii_url):
        return None
    return ascii_url


def mapping_table() -> str:
    """The mapping as the Markdown table docs/transparency-mapping.md shows."""
    rows = [
        "| Our code | DSA `category` | `category_specification` | Specific |",
        "|---|---|---|---|",
    ]
    codes: list[tuple[str, Classification]] = [
        *((f"reason `{code}`", kind) for code, kind in REASONS.items()),
        *((f"report `{code}`", kind) for code, kind in REPORT_CATEGORIES.items()),
    ]
    for code, kind in codes:
        keywords = ", ".join(f"`{k}`" for k in kind.keywords) or "—"
        specific = "yes" if kind.specific else "no"
        rows.append(f"| {code} | `{kind.category}` | {keywords} | {specific} |")
    return "\n".join(rows) + "\n"
