"""The SMTP relay mail goes through, parsed from MODERATION_SMTP_URL; its password never prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


class RelayError(ValueError):
    """MODERATION_SMTP_URL can't be used; the message never contains the password."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SmtpRelay:
    host: str
    port: int
    # smtps://: TLS from the first byte (port 465); smtp://: plain, upgraded with STARTTLS.
    implicit_tls: bool = False
    # Required by default: credentials and addresses never cross the network in clear text
    # unless `?starttls=false` says so (a relay on the same host).
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"SmtpRelay({self.redacted_url()!r})"

    def redacted_url(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = ""
        if self.username is not None:
            user = self.username + (":***" if self.password is not None else "") + "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = "" if self.implicit_tls else f"?starttls={'true' if self.starttls else 'false'}"
        return f"{scheme}://{user}{host}:{self.port}{query}"


def parse_relay(url: str) -> SmtpRelay:
    """`smtp://user:pass@host:587?starttls=true` or `smtps://user:pass@host:465`."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise RelayError("MODERATION_SMTP_URL is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise RelayError("MODERATION_SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise RelayError("MODERATION_SMTP_URL must name a host")
    if parts.path not in ("", "/") or parts.fragment:
        raise RelayError("MODERATION_SMTP_URL takes no path")
    starttls = scheme == "smtp"
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name != "starttls" or value.lower() not in FLAGS:
            raise RelayError("MODERATION_SMTP_URL accepts only ?starttls=true or ?starttls=false")
        if scheme == "smtps":
            raise RelayError("smtps:// is TLS already; starttls applies to smtp:// only")
        starttls = FLAGS[value.lower()]
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpRelay(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[scheme],
        implicit_tls=scheme == "smtps",
        starttls=starttls,
        username=username or None,
        password=password,
    )
