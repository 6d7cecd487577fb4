"""Settings: one frozen dataclass, read from the environment once and passed in explicitly."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from aiohttp import web

from .mail.relay import RelayError, SmtpRelay, parse_relay
from .sealing import MAX_KEY_ID, Keyring

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_RETRY_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
# Mail servers retry for days; so do we (about 3 days in all, then the mail fails).
DEFAULT_MAIL_RETRY_SCHEDULE = (60.0, 300.0, 1800.0, 7200.0, 21600.0, 43200.0, 86400.0, 86400.0)


class ConfigError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value >= 0:
        raise ConfigError(f"{name} must not be negative")
    return value


def _positive_seconds(env: Mapping[str, str], name: str, default: float) -> float:
    value = _seconds(env, name, default)
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0 seconds")
    return value


def _seconds_list(
    env: Mapping[str, str], name: str, default: tuple[float, ...]
) -> tuple[float, ...]:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        values = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated seconds, got {raw!r}") from None
    if not values or any(v < 0 for v in values):
        raise ConfigError(f"{name} must list at least one non-negative delay")
    return values


def _networks(env: Mapping[str, str], name: str) -> tuple[IPNetwork, ...]:
    raw = env.get(name, "")
    try:
        return tuple(
            ipaddress.ip_network(p.strip(), strict=False) for p in raw.split(",") if p.strip()
        )
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from None


def redact_dsn(url: str | None) -> str | None:
    """The DSN without its password (in the user part or a `password=` parameter)."""
    if url is None:
        return None
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.netloc.rpartition("@")[2]
            parts = parts._replace(netloc=f"{parts.username or ''}:[redacted]@{host}")
        query = [
            (key, "[redacted]" if key.lower() in _SECRET_PARAMETERS else value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit(parts._replace(query=urlencode(query, safe="[]")))
    except ValueError:  # includes UnicodeEncodeError
        return "[unparseable]"


_SECRET_PARAMETERS = frozenset({"password", "sslpassword", "passfile"})


def _plain_address(text: str) -> bool:
    local, at, domain = text.partition("@")
    return bool(at and local and domain) and not any(
        c.isspace() or c in '<>@,;"' for c in local + domain
    )


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Settings:
    # None means "run on an embedded PostgreSQL kept under data_dir" (development only).
    database_url: str | None = field(default=None, repr=False)
    # LISTEN and the migrations' session advisory lock need a session of their own: behind a
    # pooler in transaction mode this names the database itself (None: database_url).
    direct_database_url: str | None = field(default=None, repr=False)
    # A streaming replica for public thread reads (None: they go to database_url).
    read_database_url: str | None = field(default=None, repr=False)
    # asyncpg's prepared-statement cache; 0 behind a PgBouncer older than 1.21 in transaction
    # mode, which cannot follow named prepared statements from one server to the next.
    statement_cache_size: int = 100
    host: str = "127.0.0.1"
    port: int = 8080
    # Key for the HMAC of authors' email addresses; generated under data_dir in embedded mode.
    secret_key: bytes = field(default=b"", repr=False)
    # The key id new email addresses are sealed under (sealing.py); values under any id from 1
    # to this one open. Raise it, then run `moderation keys rotate`, to re-seal under a new key.
    email_key_version: int = 1
    data_dir: Path = Path(".moderation")
    development: bool = False
    log_level: str = "INFO"
    pool_min_size: int = 2
    pool_max_size: int = 10
    trusted_proxies: tuple[IPNetwork, ...] = ()
    sql_dir: Path | None = None
    webhook_allow_private: bool = False
    webhook_retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    webhook_timeout: float = 15.0
    # Run a dispatcher inside `serve` (off when dedicated `moderation worker`s send instead).
    webhook_workers: bool = True
    # How long a claimed delivery stays locked to its dispatcher; must outlast an attempt.
    webhook_lease: float = 60.0
    webhook_concurrency: int = 100
    # At most this many of a dispatcher's attempts go to one endpoint at a time.
    webhook_endpoint_concurrency: int = 10
    # Each retry delay is scaled by a random factor in [1 - jitter, 1 + jitter].
    webhook_retry_jitter: float = 0.1
    shutdown_grace: float = 10.0
    # A request's line and headers must arrive within this many seconds of the connection
    # opening or the previous answer (aiohttp's keep-alive timer, which also closes idle ones).
    header_timeout: float = 15.0
    # An announced body must arrive whole within this many seconds, else 408 and closed.
    body_timeout: float = 10.0
    # Seconds between two rounds of the retention sweeper (serve and worker); 0: never.
    retention_interval: float = 600.0
    # Bearer token for GET /metrics; unset, only loopback clients that no proxy relayed get it.
    metrics_token: str | None = field(default=None, repr=False)
    # CPU per accepted comment by stage, answered at GET /debug/stages (the benchmark's).
    stage_timing: bool = False

    def __repr__(self) -> str:
        # Settings get printed (logs, tracebacks, the REPL): never with the password.
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.repr}
        shown["database_url"] = redact_dsn(self.database_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    # None: mail is not sent; in development it is kept and shown at /dev/mail instead.
    smtp: SmtpRelay | None = None
    mail_from: str = "moderation@localhost"
    # Run a mail sender inside `serve` (off when dedicated `moderation worker`s send instead).
    mail_workers: bool = True
    # SMTP connections one sender keeps open at once.
    mail_connections: int = 4
    smtp_timeout: float = 30.0
    # Must outlast a batch of sends on one connection (mail_batch x smtp_timeout at worst).
    mail_lease: float = 300.0
    mail_retry_schedule: tuple[float, ...] = DEFAULT_MAIL_RETRY_SCHEDULE
    # The service's own address as readers reach it (links in mails); None: host and port.
    public_base_url: str | None = None

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def email_keys(self) -> Keyring:
        """Seals and opens the email addresses kept at rest (derived keys are cached)."""
        return Keyring(self.secret_key, self.email_key_version)

    @property
    def log_json(self) -> bool:
        return not self.development

    @property
    def session_database_url(self) -> str | None:
        """Where to LISTEN and take session locks: never through a transaction pooler."""
        return self.direct_database_url or self.database_url

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        secret = env.get("MODERATION_SECRET_KEY", "")
        if secret and len(secret) < 32:
            raise ConfigError("MODERATION_SECRET_KEY must be at least 32 characters")
        webhook_timeout = float(_int(env, "MODERATION_WEBHOOK_TIMEOUT", 15))
        webhook_lease = _seconds(env, "MODERATION_WEBHOOK_LEASE_SECONDS", 60.0)
        if webhook_lease <= webhook_timeout:
            # A shorter lease would let a second dispatcher send while the first still waits.
            raise ConfigError(
                "MODERATION_WEBHOOK_LEASE_SECONDS must be longer than MODERATION_WEBHOOK_TIMEOUT"
            )
        webhook_concurrency = _int(env, "MODERATION_WEBHOOK_CONCURRENCY", 100)
        if webhook_concurrency < 1:
            raise ConfigError("MODERATION_WEBHOOK_CONCURRENCY must be at least 1")
        endpoint_concurrency = _int(env, "MODERATION_WEBHOOK_ENDPOINT_CONCURRENCY", 10)
        if endpoint_concurrency < 1:
            raise ConfigError("MODERATION_WEBHOOK_ENDPOINT_CONCURRENCY must be at least 1")
        jitter = _seconds(env, "MODERATION_WEBHOOK_RETRY_JITTER", 0.1)
        if jitter >= 1:
            raise ConfigError("MODERATION_WEBHOOK_RETRY_JITTER must be below 1")
        try:
            smtp = (
                parse_relay(env["MODERATION_SMTP_URL"]) if env.get("MODERATION_SMTP_URL") else None
            )
        except RelayError as exc:
            raise ConfigError(str(exc)) from None
        mail_from = env.get("MODERATION_MAIL_FROM", "").strip()
        if smtp is not None and not mail_from:
            raise ConfigError("MODERATION_MAIL_FROM is required with MODERATION_SMTP_URL")
        if mail_from and not _plain_address(mail_from):
            raise ConfigError("MODERATION_MAIL_FROM must be a plain address like news@example.com")
        smtp_timeout = _seconds(env, "MODERATION_SMTP_TIMEOUT", 30.0)
        mail_lease = _seconds(env, "MODERATION_MAIL_LEASE_SECONDS", 300.0)
        if mail_lease <= smtp_timeout:
            # A shorter lease would let a second sender send while the first still waits.
            raise ConfigError(
                "MODERATION_MAIL_LEASE_SECONDS must be longer than MODERATION_SMTP_TIMEOUT"
            )
        mail_connections = _int(env, "MODERATION_MAIL_CONNECTIONS", 4)
        if mail_connections < 1:
            raise ConfigError("MODERATION_MAIL_CONNECTIONS must be at least 1")
        public_base_url = env.get("MODERATION_PUBLIC_URL", "").strip() or None
        if public_base_url is not None and not public_base_url.startswith(("http://", "https://")):
            raise ConfigError("MODERATION_PUBLIC_URL must be an http:// or https:// address")
        email_key_version = _int(env, "MODERATION_EMAIL_KEY_VERSION", 1)
        if not 1 <= email_key_version <= MAX_KEY_ID:
            raise ConfigError(f"MODERATION_EMAIL_KEY_VERSION must be from 1 to {MAX_KEY_ID}")
        statement_cache_size = _int(env, "MODERATION_DATABASE_STATEMENT_CACHE_SIZE", 100)
        if statement_cache_size < 0:
            raise ConfigError("MODERATION_DATABASE_STATEMENT_CACHE_SIZE must not be negative")
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            direct_database_url=env.get("MODERATION_DIRECT_DATABASE_URL") or None,
            read_database_url=env.get("MODERATION_READ_DATABASE_URL") or None,
            statement_cache_size=statement_cache_size,
            host=env.get("MODERATION_HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8080),
            secret_key=secret.encode(),
            email_key_version=email_key_version,
            data_dir=Path(env.get("MODERATION_DATA_DIR", ".moderation")),
            development=env.get("MODERATION_ENV", "production").strip().lower() == "development",
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            pool_min_size=_int(env, "MODERATION_POOL_MIN_SIZE", 2),
            pool_max_size=_int(env, "MODERATION_POOL_MAX_SIZE", 10),
            trusted_proxies=_networks(env, "MODERATION_TRUSTED_PROXIES"),
            sql_dir=Path(env["MODERATION_SQL_DIR"]) if env.get("MODERATION_SQL_DIR") else None,
            webhook_allow_private=_flag(env, "MODERATION_WEBHOOK_ALLOW_PRIVATE"),
            webhook_retry_schedule=_seconds_list(
                env, "MODERATION_WEBHOOK_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE
            ),
            webhook_timeout=webhook_timeout,
            webhook_workers=env.get("MODERATION_WEBHOOK_WORKERS", "1").strip().lower()
            not in {"0", "false", "no", "off"},
            webhook_lease=webhook_lease,
            webhook_concurrency=webhook_concurrency,
            webhook_endpoint_concurrency=endpoint_concurrency,
            webhook_retry_jitter=jitter,
            shutdown_grace=_seconds(env, "MODERATION_SHUTDOWN_GRACE", 10.0),
            header_timeout=_positive_seconds(env, "MODERATION_HEADER_TIMEOUT", 15.0),
            body_timeout=_positive_seconds(env, "MODERATION_BODY_TIMEOUT", 10.0),
            metrics_token=env.get("MODERATION_METRICS_TOKEN", "").strip() or None,
            retention_interval=_seconds(env, "MODERATION_RETENTION_INTERVAL", 600.0),
            stage_timing=_flag(env, "MODERATION_STAGE_TIMING"),
            smtp=smtp,
            mail_from=mail_from or "moderation@localhost",
            mail_workers=env.get("MODERATION_MAIL_WORKERS", "1").strip().lower()
            not in {"0", "false", "no", "off"},
            mail_connections=mail_connections,
            smtp_timeout=smtp_timeout,
            mail_lease=mail_lease,
            mail_retry_schedule=_seconds_list(
                env, "MODERATION_MAIL_RETRY_SCHEDULE", DEFAULT_MAIL_RETRY_SCHEDULE
            ),
            public_base_url=public_base_url,
        )


SETTINGS = web.AppKey("moderation.settings", Settings)
