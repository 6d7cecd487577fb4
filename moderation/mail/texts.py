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
        "your_comments": "Your comments on $site",
    },
    Language.AR: {
        "automatic": "أُرسلت هذه الرسالة آلياً من $site؛ ولا يقرأ أحدٌ الردود عليها ما لم "
        "يذكر الموقع غير ذلك.",
        "terms": "شروط الاستخدام",
        "unsubscribe": "إلغاء الاشتراك",
        "quote": "تعليقك:",
        "your_comments": "تعليقاتك على $site",
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


def _kind(en: Texts, ar: Texts, *needs: str) -> Kind:
    return Kind(texts={Language.EN: en, Language.AR: ar}, needs=frozenset(needs))


# Authors (issue 11). Whole sentences that depend on the decision are chosen in code
# (authors/mails.py, from PHRASES) and passed in as values; an empty value drops its paragraph.
KINDS = {
    **KINDS,
    "confirm": _kind(
        Texts(
            subject="Confirm your address for comments on $site",
            paragraphs=(
                "Hello $name,",
                "A comment was posted on $site with this address. Confirm that the address is "
                "yours: your comments are then trusted as yours, and the site can write to you "
                "about them.",
                "If it was not you, ignore this message and nothing happens. The link works "
                "once, for 7 days.",
            ),
            action="Confirm my address",
        ),
        Texts(
            subject="أكّد عنوان بريدك للتعليق على $site",
            paragraphs=(
                "مرحباً $name،",
                "نُشر تعليق على $site بهذا العنوان. أكّد أن العنوان لك، فتُنسب إليك تعليقاتك "
                "بحق ويستطيع الموقع أن يراسلك بشأنها.",
                "إن لم تكن أنت صاحب التعليق فتجاهل هذه الرسالة ولن يحدث شيء. يعمل الرابط مرة "
                "واحدة خلال 7 أيام.",
            ),
            action="تأكيد عنواني",
        ),
        "name",
        "action_url",
    ),
    "statement": _kind(
        Texts(
            subject="Why your comment on $site is not shown",
            paragraphs=(
                "Hello $name,",
                "$restriction",
                "$facts",
                "$explanation",
                "$ground",
                "$automation",
                "$appeal",
                "$redress",
                "$reference",
            ),
            action="Appeal this decision",
        ),
        Texts(
            subject="لماذا لا يظهر تعليقك على $site",
            paragraphs=(
                "مرحباً $name،",
                "$restriction",
                "$facts",
                "$explanation",
                "$ground",
                "$automation",
                "$appeal",
                "$redress",
                "$reference",
            ),
            action="الاعتراض على القرار",
        ),
        "name",
        "restriction",
        "facts",
        "explanation",
        "ground",
        "automation",
        "appeal",
        "redress",
        "reference",
    ),
    "approved": _kind(
        Texts(
            subject="Your comment on $site is published",
            paragraphs=("Hello $name,", "Your comment on $site was approved and is published."),
            action="See it on the page",
        ),
        Texts(
            subject="نُشر تعليقك على $site",
            paragraphs=("مرحباً $name،", "وافق المشرفون على تعليقك على $site وقد نُشر."),
            action="اعرضه في الصفحة",
        ),
        "name",
    ),
    "reply": _kind(
        Texts(
            subject="$replier replied to your comment on $site",
            paragraphs=("Hello $name,", "$replier replied to your comment on $site:"),
            action="Read the reply",
        ),
        Texts(
            subject="ردّ $replier على تعليقك على $site",
            paragraphs=("مرحباً $name،", "ردّ $replier على تعليقك على $site:"),
            action="اقرأ الرد",
        ),
        "name",
        "replier",
    ),
    "appeal_decided": _kind(
        Texts(
            subject="Your appeal on $site was decided",
            paragraphs=("Hello $name,", "$outcome", "$explanation", "$reference"),
            action="See your comments",
        ),
        Texts(
            subject="صدر القرار في اعتراضك على $site",
            paragraphs=("مرحباً $name،", "$outcome", "$explanation", "$reference"),
            action="اعرض تعليقاتك",
        ),
        "name",
        "outcome",
        "explanation",
        "reference",
    ),
}

# Sentences the author mails choose between, per language.
PHRASES: Mapping[Language, Mapping[str, str]] = {
    Language.EN: {
        "rejected": "Your comment below is not shown on $site: it was rejected before publication.",
        "taken_down": "Your comment below is no longer shown on $site: it was removed after it "
        "had been published.",
        "facts": "Reason: $reason.",
        "explanation": "The moderator's explanation: $text",
        "ground_terms": "Ground: the site's terms of use$terms.",
        "ground_illegal": "Ground: illegal content ($ground).",
        "automated": "This decision was detected and taken by automated means (a word rule of "
        "the site), without a person.",
        "manual": "This decision was taken by a person; no automated means were used.",
        "flagged": "An automated rule of the site (words or links) brought the comment to a "
        "moderator; the decision was taken by a person.",
        "appeal": "You can appeal this decision once, within six months, with the button "
        "below; another moderator than the one who decided will review it.",
        "redress": "You may also turn to an out-of-court dispute settlement body or to the courts.",
        "reference": "Reference of this decision: $puid",
        "upheld": "Your appeal was reviewed and the decision stands: the comment stays "
        "unpublished.",
        "reversed": "Your appeal was reviewed and the decision was reversed: your comment is "
        "now published.",
        "not_specified": "not specified",
    },
    Language.AR: {
        "rejected": "تعليقك أدناه لا يظهر على $site: فقد رُفض قبل نشره.",
        "taken_down": "تعليقك أدناه لم يعد يظهر على $site: فقد أُزيل بعد نشره.",
        "facts": "السبب: $reason.",
        "explanation": "توضيح المشرف: $text",
        "ground_terms": "الأساس: شروط استخدام الموقع$terms.",
        "ground_illegal": "الأساس: محتوى مخالف للقانون ($ground).",
        "automated": "اكتُشف هذا القرار واتُّخذ بوسائل آلية (قاعدة كلمات وضعها الموقع) دون تدخل بشري.",
        "manual": "اتخذ هذا القرارَ شخصٌ، ولم تُستعمل فيه وسائل آلية.",
        "flagged": "نبّهت قاعدةٌ آلية في الموقع (كلمات أو روابط) المشرفين إلى التعليق، واتخذ "
        "القرارَ شخصٌ.",
        "appeal": "يمكنك الاعتراض على هذا القرار مرة واحدة خلال ستة أشهر بالزر أدناه؛ "
        "وسيراجعه مشرف غير الذي اتخذه.",
        "redress": "ويمكنك أيضاً اللجوء إلى هيئة لتسوية النزاعات خارج المحاكم أو إلى القضاء.",
        "reference": "مرجع هذا القرار: $puid",
        "upheld": "روجع اعتراضك وبقي القرار كما هو: لن يُنشر التعليق.",
        "reversed": "روجع اعتراضك وأُلغي القرار: تعليقك منشور الآن.",
        "not_specified": "غير محدد",
    },
}

# The reason codes of decisions in words (moderators' reasons and the system's own).
REASON_WORDS: Mapping[Language, Mapping[str, str]] = {
    Language.EN: {
        "spam": "spam",
        "offensive": "offensive content",
        "abusive": "abusive content",
        "hate_speech": "hate speech",
        "harassment": "harassment",
        "illegal_content": "illegal content",
        "misinformation": "misinformation",
        "advertising": "advertising",
        "off_topic": "off topic",
        "other": "another breach of the site's rules",
        "banned_term": "it contains a word or phrase the site does not allow",
    },
    Language.AR: {
        "spam": "رسائل مزعجة",
        "offensive": "محتوى مسيء",
        "abusive": "محتوى عدائي",
        "hate_speech": "خطاب كراهية",
        "harassment": "تحرّش",
        "illegal_content": "محتوى مخالف للقانون",
        "misinformation": "معلومات مضللة",
        "advertising": "إعلان",
        "off_topic": "خارج الموضوع",
        "other": "مخالفة أخرى لقواعد الموقع",
        "banned_term": "يتضمن كلمة أو عبارة لا يسمح بها الموقع",
    },
}
