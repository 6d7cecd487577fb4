"""moderation/config.py: settings read from the environment once, checked, printed without
secrets."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from moderation.config import (
    DEFAULT_MAIL_RETRY_SCHEDULE,
    DEFAULT_RETRY_SCHEDULE,
    ConfigError,
    Settings,
)

SECRET = "s" * 32


def test_an_empty_environment_gives_the_production_defaults() -> None:
    settings = Settings.from_env({})
    assert settings.database_url is None and settings.session_database_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert not settings.development and settings.log_json
    assert settings.webhook_workers and settings.mail_workers
    assert settings.webhook_retry_schedule == DEFAULT_RETRY_SCHEDULE
    assert settings.mail_retry_schedule == DEFAULT_MAIL_RETRY_SCHEDULE
    assert settings.smtp is None and settings.mail_from == "moderation@localhost"
    assert settings.trusted_proxies == ()
    assert settings.data_dir == Path(".moderation")
    assert settings.retention_interval == 600.0


def test_values_are_read_from_their_variables() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://app:pw@pgbouncer:6432/news",
            "MODERATION_DIRECT_DATABASE_URL": "postgresql://app:pw@db:5432/news",
            "MODERATION_SECRET_KEY": SECRET,
            "MODERATION_ENV": " Development ",
            "PORT": "9000",
            "MODERATION_TRUSTED_PROXIES": "10.0.0.0/8, ::1",
            "MODERATION_WEBHOOK_RETRY_SCHEDULE": "1, 2.5,",
            "MODERATION_WEBHOOK_WORKERS": "off",
            "MODERATION_MAIL_WORKERS": "0",
            "MODERATION_WEBHOOK_ALLOW_PRIVATE": "yes",
            "MODERATION_RETENTION_INTERVAL": "0",
        }
    )
    assert settings.retention_interval == 0  # the sweeper off
    assert settings.secret_key == SECRET.encode()
    assert settings.development and not settings.log_json
    assert settings.port == 9000
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )
    assert settings.webhook_retry_schedule == (1.0, 2.5)
    assert not settings.webhook_workers and not settings.mail_workers
    assert settings.webhook_allow_private


def test_listen_and_session_locks_use_the_direct_url_when_one_is_given() -> None:
    pooled = "postgresql://app@pgbouncer:6432/news"
    assert Settings(database_url=pooled).session_database_url == pooled
    direct = Settings(database_url=pooled, direct_database_url="postgresql://app@db/news")
    assert direct.session_database_url == "postgresql://app@db/news"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MODERATION_SECRET_KEY": "short"}, "MODERATION_SECRET_KEY"),
        ({"PORT": "eighty"}, "PORT"),
        ({"MODERATION_POOL_MAX_SIZE": "عشرة"}, "MODERATION_POOL_MAX_SIZE"),
        ({"MODERATION_SHUTDOWN_GRACE": "-1"}, "MODERATION_SHUTDOWN_GRACE"),
        ({"MODERATION_SHUTDOWN_GRACE": "nan"}, "MODERATION_SHUTDOWN_GRACE"),
        ({"MODERATION_HEADER_TIMEOUT": "0"}, "MODERATION_HEADER_TIMEOUT"),
        ({"MODERATION_RETENTION_INTERVAL": "-5"}, "MODERATION_RETENTION_INTERVAL"),
        ({"MODERATION_RETENTION_INTERVAL": "ten minutes"}, "MODERATION_RETENTION_INTERVAL"),
        ({"MODERATION_WEBHOOK_RETRY_SCHEDULE": "1,x"}, "MODERATION_WEBHOOK_RETRY_SCHEDULE"),
        ({"MODERATION_MAIL_RETRY_SCHEDULE": ","}, "MODERATION_MAIL_RETRY_SCHEDULE"),
        ({"MODERATION_TRUSTED_PROXIES": "10.0.0.0/33"}, "MODERATION_TRUSTED_PROXIES"),
        ({"MODERATION_WEBHOOK_LEASE_SECONDS": "10"}, "MODERATION_WEBHOOK_LEASE_SECONDS"),
        ({"MODERATION_WEBHOOK_CONCURRENCY": "0"}, "MODERATION_WEBHOOK_CONCURRENCY"),
        ({"MODERATION_WEBHOOK_RETRY_JITTER": "1"}, "MODERATION_WEBHOOK_RETRY_JITTER"),
        ({"MODERATION_MAIL_LEASE_SECONDS": "5"}, "MODERATION_MAIL_LEASE_SECONDS"),
        ({"MODERATION_MAIL_CONNECTIONS": "0"}, "MODERATION_MAIL_CONNECTIONS"),
        ({"MODERATION_MAIL_FROM": "not an address"}, "MODERATION_MAIL_FROM"),
        ({"MODERATION_SMTP_URL": "smtp://relay.example:25"}, "MODERATION_MAIL_FROM"),
        (
            {"MODERATION_DATABASE_STATEMENT_CACHE_SIZE": "-1"},
            "MODERATION_DATABASE_STATEMENT_CACHE_SIZE",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_settings_print_no_secret() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://app:kalimat-sirr@db/news",
            "MODERATION_DIRECT_DATABASE_URL": "postgresql://app:kalimat-sirr@db:5432/news",
            "MODERATION_READ_DATABASE_URL": "postgresql://app:kalimat-sirr@replica/news",
            "MODERATION_SECRET_KEY": SECRET,
            "MODERATION_METRICS_TOKEN": "metrics-token-value",
        }
    )
    for text in (repr(settings), str(settings)):
        assert "kalimat-sirr" not in text
        assert SECRET not in text
        assert "metrics-token-value" not in text
    assert "[redacted]" in repr(settings)
