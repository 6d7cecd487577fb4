"""MODERATION_SMTP_URL and MODERATION_MAIL_FROM: parsed once, refused when unusable, and the
password never printed."""

from __future__ import annotations

import pytest

from moderation.config import ConfigError, Settings
from moderation.mail.relay import SmtpRelay, parse_relay


def test_smtp_urls_parse_into_a_relay() -> None:
    relay = parse_relay("smtp://mailer%40daily:p%40ss%3Aword@smtp.daily.example:2525?starttls=true")
    assert relay == SmtpRelay(
        host="smtp.daily.example",
        port=2525,
        starttls=True,
        username="mailer@daily",
        password="p@ss:word",
    )
    assert parse_relay("smtps://u:p@smtp.example") == SmtpRelay(
        host="smtp.example",
        port=465,
        implicit_tls=True,
        starttls=False,
        username="u",
        password="p",
    )
    local = parse_relay("smtp://127.0.0.1:25?starttls=false")
    assert (local.port, local.starttls, local.username, local.password) == (25, False, None, None)
    assert parse_relay("smtp://smtp.example").port == 587
    assert parse_relay("smtp://smtp.example").starttls  # required unless said otherwise


@pytest.mark.parametrize(
    "url",
    [
        "http://smtp.example",
        "smtp://",
        "smtp://smtp.example:99999",
        "smtp://smtp.example/path",
        "smtp://smtp.example?starttls=maybe",
        "smtp://smtp.example?tls=1",
        "smtps://smtp.example?starttls=true",
        "smtp://[oops",
    ],
)
def test_an_unusable_smtp_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"MODERATION_SMTP_URL": url, "MODERATION_MAIL_FROM": "a@b.example"})
    assert url not in str(refused.value)


def test_the_smtp_password_never_prints() -> None:
    settings = Settings.from_env(
        {
            "MODERATION_SMTP_URL": "smtp://mailer:hunter2-secret@smtp.example:587",
            "MODERATION_MAIL_FROM": "news@daily.example",
        }
    )
    assert settings.smtp is not None and settings.smtp.password == "hunter2-secret"
    for shown in (repr(settings), str(settings), repr(settings.smtp), f"{settings.smtp}"):
        assert "hunter2" not in shown
    assert "smtp://mailer:***@smtp.example:587?starttls=true" in repr(settings)


def test_mail_from_is_required_with_a_relay_and_must_be_a_plain_address() -> None:
    with pytest.raises(ConfigError, match="MODERATION_MAIL_FROM"):
        Settings.from_env({"MODERATION_SMTP_URL": "smtp://smtp.example"})
    for bad in ("News <news@daily.example>", "news", "a@b@c", "news@daily.example\r\nBcc: x@y"):
        with pytest.raises(ConfigError, match="MODERATION_MAIL_FROM"):
            Settings.from_env({"MODERATION_MAIL_FROM": bad})
    defaults = Settings.from_env({})
    assert defaults.smtp is None and defaults.mail_workers
    assert defaults.mail_lease > defaults.smtp_timeout
