"""The composer as a pure function: every kind has texts in both languages, values are escaped,
the text part quotes the comment as text, headers are well formed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default

import pytest

from moderation import jsontext
from moderation.domain import Language
from moderation.mail import compose as compose_module
from moderation.mail.compose import Quote, Sender, UnknownKind, compose
from moderation.mail.outbox import composed_from, draft_of
from moderation.mail.texts import KINDS
from moderation.store.mail import Draft

SENDER = Sender(site_name="Daily <News>", address="news@daily.example")


def parsed(message: EmailMessage) -> EmailMessage:
    result = message_from_bytes(message.as_bytes(), _class=EmailMessage, policy=default)
    assert isinstance(result, EmailMessage)
    return result


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("language", list(Language))
def test_every_kind_composes_in_every_language(kind: str, language: Language) -> None:
    context = {name: "قيمة value" for name in KINDS[kind].needs}
    message = parsed(compose(kind, language, context, sender=SENDER))
    assert message["Subject"] and message["Message-ID"] and message["Date"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["To"] is None  # added when sent, from the outbox's one address column
    assert "$" not in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    markup = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert f'<html lang="{language.value}" dir="{language.direction}">' in markup


def test_values_are_escaped_in_html_and_kept_as_typed_in_text() -> None:
    message = parsed(
        compose(
            "test",
            Language.EN,
            {
                "name": '<img src=x onerror="alert(1)">',
                "action_url": 'https://daily.example/?a=1&b="2"',
                "quote": Quote("<p>Hi <strong>there</strong></p>", "Hi there\nsecond", "ltr"),
            },
            sender=SENDER,
            now=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        )
    )
    markup = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]
    assert "<img" not in markup
    assert "<bdi>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</bdi>" in markup
    assert 'href="https://daily.example/?a=1&amp;b=&quot;2&quot;"' in markup
    assert '<blockquote dir="ltr"' in markup and "<p>Hi <strong>there</strong></p>" in markup
    assert "<bdi>Daily &lt;News&gt;</bdi>" in markup
    assert 'Hello <img src=x onerror="alert(1)">,' in text
    assert "> Hi there\n> second" in text
    assert message["Date"] == "Sun, 29 Nov 2026 12:00:00 +0000"
    assert message["From"].addresses[0].display_name == "Daily <News>"


def test_a_mail_needs_a_known_kind_and_its_context() -> None:
    with pytest.raises(UnknownKind):
        compose("nonsense", Language.AR, {}, sender=SENDER)
    with pytest.raises(ValueError, match="name"):
        compose("test", Language.AR, {}, sender=SENDER)


def test_message_ids_are_unique_and_in_the_senders_domain() -> None:
    ids = {
        compose("test", Language.EN, {"name": "a"}, sender=SENDER)["Message-ID"] for _ in range(50)
    }
    assert len(ids) == 50 and all(i.endswith("@daily.example>") for i in ids)


SENDERS = [
    SENDER,
    Sender(
        site_name="الأخبار اليومية",
        address="akhbar@daily.example",
        name='فريق التحرير, "الأخبار"',
        reply_to="editors@daily.example",
        public_url="https://daily.example/",
        terms_url="https://daily.example/terms",
    ),
]


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("sender", SENDERS, ids=["plain", "arabic-with-reply-to"])
def test_the_kept_headers_give_the_bytes_of_pythons_own_smtp_policy(
    kind: str, language: Language, sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Headers parsed and folded once (compose._POLICY) write what email.policy.SMTP writes,
    the second and third time as the first: only the random multipart boundary differs."""
    context = {name: f"قيمة value {kind}" for name in KINDS[kind].needs}
    context["quote"] = Quote(html="<p>شكراً <b>جزيلاً</b></p>", text="شكراً جزيلاً", direction="rtl")
    now = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    links = {"unsubscribe_url": "https://m.example/u/tok", "author_url": "https://m.example/a"}

    def written(policy: object) -> str:
        monkeypatch.setattr(compose_module, "_POLICY", policy)
        message = compose(kind, language, context, sender=sender, now=now, **links)
        del message["Message-ID"]
        return re.sub(r"={15}\d+==", "BOUNDARY", message.as_bytes().decode("ascii"))

    kept = compose_module._POLICY
    expected = written(SMTP)
    assert [written(kept) for _ in range(3)] == [expected] * 3


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("sender", SENDERS, ids=["plain", "arabic-with-reply-to"])
def test_a_mail_composed_from_its_stored_draft_is_the_mail_composed_at_once(
    kind: str, language: Language, sender: Sender
) -> None:
    """What queue_mail keeps (subject, message id, the draft as JSON through the database's
    codec) composes at sending into the bytes compose gives (only the random boundary differs),
    and the subject it stored at once is the composed one."""
    context: dict[str, str | Quote] = {name: f"قيمة value {kind}" for name in KINDS[kind].needs}
    context["quote"] = Quote(html="<p>شكراً <b>جزيلاً</b></p>", text="شكراً جزيلاً", direction="rtl")
    links = {"unsubscribe_url": "https://m.example/u/tok", "author_url": None}
    message_id, subject, content = draft_of(kind, language, context, sender, *links.values())
    queued_at = datetime(2026, 11, 30, 0, 59, 59, 123456, tzinfo=UTC)
    stored = Draft(kind, message_id, queued_at, jsontext.loads(jsontext.dumps(content)))

    def unbounded(raw: bytes) -> str:
        return re.sub(r"={15}\d+==", "BOUNDARY", raw.decode("ascii"))

    at_once = compose(
        kind, language, context, sender=sender, now=queued_at, message_id=message_id, **links
    )
    assert unbounded(composed_from(stored)) == unbounded(at_once.as_bytes())
    assert str(at_once["Subject"]) == subject
    assert message_id.endswith(f"@{sender.address.rpartition('@')[2]}>")


def test_a_draft_of_an_unknown_kind_or_a_missing_value_is_refused_at_once() -> None:
    with pytest.raises(UnknownKind):
        draft_of("nonsense", Language.EN, {}, SENDER, None, None)
    with pytest.raises(ValueError, match="needs"):
        draft_of(next(k for k, v in KINDS.items() if v.needs), Language.AR, {}, SENDER, None, None)
