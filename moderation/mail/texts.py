"""What each kind of mail says, in Arabic and English. Adding a kind is adding an entry here.

Texts are `string.Template`s: `$name` placeholders are filled from the mail's context, escaped
for the HTML part (and isolated in `<bdi>`) and left as they are for the text part."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..domain import Language


@dataclass(frozen=True, slots=True)
class Texts:
    subject: str
    paragraphs: tuple[str, ...]
    # The label of the button that opens the context's `action_url`, when the kind has one.
    action: str | None = None


@dataclass(frozen=True, slots=True)
class Kind:
    texts: Mapping[Language, Texts]
    # Context keys every mail of this kind must be given (besides `site`, always present).
    needs: frozenset[str] = frozenset()


# Who a mail greets when no name is given ("Hello there," / "مرحباً بك،").
NO_NAME: Mapping[Language, str] = {Language.EN: "there", Language.AR: "بك"}

# The words every mail ends with, in each language.
FOOTER: Mapping[Language, Mapping[str, str]] = {
    Language.EN: {
        "automatic": "This message was sent automatically by $site; replies are not read "
        "by a person unless the site says otherwise.",
        "terms": "Terms of use",
        "unsubscribe": "Unsubscribe",
        "quote": "Your comment:",
    },
    Language.AR: {
        "automatic": "أُرسلت هذه الرسالة آلياً من $site؛ ولا يقرأ أحدٌ الردود عليها ما لم "
        "يذكر الموقع غير ذلك.",
        "terms": "شروط الاستخدام",
        "unsubscribe": "إلغاء الاشتراك",
        "quote": "تعليقك:",
    },
}

KINDS: Mapping[str, Kind] = {
    # Proves the whole pipe (outbox, sender, relay) without any event behind it.
    "test": Kind(
        texts={
            Language.EN: Texts(
                subject="Test message from $site",
                paragraphs=(
                    "Hello $name,",
                    "This is a test message from $site. If you can read it, mail from $site "
                    "reaches you.",
                ),
                action="Visit $site",
            ),
            Language.AR: Texts(
                subject="رسالة تجريبية من $site",
                paragraphs=(
                    "مرحباً $name،",
                    "هذه رسالة تجريبية من $site. إن وصلتك فإن بريد $site يصل إليك.",
                ),
                action="زيارة $site",
            ),
        },
        needs=frozenset({"name"}),
    ),
    # A reader's notice (issue 12, DSA Art. 16(4)): the receipt, queued with the report.
    "report_receipt": Kind(
        texts={
            Language.EN: Texts(
                subject="We received your report ($reference)",
                paragraphs=(
                    "Hello $name,",
                    "Thank you: $site received your report of a published comment as "
                    "$category. Its reference is $reference.",
                    "A moderator will look at it, and we will write to you with the decision "
                    "and its reason.",
                ),
            ),
            Language.AR: Texts(
                subject="تلقّينا بلاغك ($reference)",
                paragraphs=(
                    "مرحباً $name،",
                    "شكراً لك: تلقّى $site بلاغك عن تعليق منشور بسبب: $category. رقمه المرجعي "
                    "$reference.",
                    "سينظر فيه أحد المشرفين، وسنكتب إليك بالقرار وسببه.",
                ),
            ),
        },
        needs=frozenset({"name", "reference", "category"}),
    ),
    # The decision on a reader's notice (DSA Art. 16(5)), with the reason and the means of redress.
    "report_decision": Kind(
        texts={
            Language.EN: Texts(
                subject="Decision on your report ($reference)",
                paragraphs=(
                    "Hello $name,",
                    "$site has decided on your report $reference: $outcome",
                    "$explanation",
                    "This decision was taken by a person, not by automated means. If you "
                    "disagree, you may reply to the site or turn to a court or an out-of-court "
                    "dispute settlement body.",
                ),
            ),
            Language.AR: Texts(
                subject="القرار في بلاغك ($reference)",
                paragraphs=(
                    "مرحباً $name،",
                    "قرّر $site في بلاغك $reference: $outcome",
                    "$explanation",
                    "اتخذ هذا القرارَ شخصٌ لا وسيلة آلية. إن لم توافق عليه فيمكنك مراسلة الموقع "
                    "أو اللجوء إلى القضاء أو إلى جهة لتسوية النزاعات خارج المحاكم.",
                ),
            ),
        },
        needs=frozenset({"name", "reference", "outcome", "explanation"}),
    ),
}

# Words the report mails insert, in each language: what was reported, and what was decided.
REPORT_WORDS: Mapping[Language, Mapping[str, str]] = {
    Language.EN: {
        "illegal_content": "illegal content",
        "hate_speech": "hate speech",
        "harassment": "harassment",
        "violence_or_threat": "violence or a threat",
        "privacy": "a breach of privacy",
        "misinformation": "misinformation",
        "spam": "spam",
        "other": "another reason",
        "keep": "the comment stays published: we found it does not break the law or our terms.",
        "remove": "the comment has been removed ($reason).",
        "no_explanation": "No further explanation was given.",
    },
    Language.AR: {
        "illegal_content": "محتوى غير قانوني",
        "hate_speech": "خطاب كراهية",
        "harassment": "تحرّش",
        "violence_or_threat": "عنف أو تهديد",
        "privacy": "انتهاك الخصوصية",
        "misinformation": "معلومات مضلّلة",
        "spam": "رسائل مزعجة",
        "other": "سبب آخر",
        "keep": "يبقى التعليق منشوراً: لم نجد أنه يخالف القانون أو شروطنا.",
        "remove": "حُذف التعليق ($reason).",
        "no_explanation": "لم يُقدَّم شرح إضافي.",
    },
}
