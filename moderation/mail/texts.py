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
}
