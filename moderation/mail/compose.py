"""Building a mail: multipart text + HTML from a kind's texts, with the headers every mail
carries. Pure: no I/O, so a kind's output can be checked by unit tests."""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime
from string import Template

from ..domain import Language
from .texts import FOOTER, KINDS, Texts

FONTS = {
    Language.AR: "Tahoma, 'Segoe UI', Arial, sans-serif",
    Language.EN: "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif",
}


class UnknownKind(ValueError):
    pass


class _FoldedOnce(BaseHeader):
    """A header that keeps its folded form per kind of policy: a site's From, or a part's
    Content-Type, is parsed and folded once, not again in every mail."""

    def fold(self, *, policy: Policy) -> str:
        utf8 = getattr(policy, "utf8", False)
        key = (policy.max_line_length, policy.linesep, utf8, policy.cte_type)
        folded: dict[tuple[object, ...], str] = self.__dict__.setdefault("_folded", {})
        text = folded.get(key)
        if text is None:
            text = folded[key] = super().fold(policy=policy)
        return text


# Headers whose value is the same in many mails (per site or always): their objects are kept.
_KEPT_HEADERS = frozenset(
    {
        "from",
        "reply-to",
        "auto-submitted",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
        "content-language",
        "list-unsubscribe-post",
    }
)
_KEPT_AT_MOST = 1024


class _HeaderClasses(HeaderRegistry):
    """The standard registry, but each header's class is made once (the standard one builds a
    new class, `type(...)`, for every header of every message), and a header whose value
    recurs (_KEPT_HEADERS) is parsed once: header objects never change once made."""

    def __init__(self) -> None:
        super().__init__(base_class=_FoldedOnce)
        self._made: dict[str, type[BaseHeader]] = {}
        self._kept: dict[tuple[str, object], BaseHeader] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        made = self._made.get(name)
        if made is None:
            made = self._made[name] = super().__getitem__(name)
        return made

    def __call__(self, name: str, value: object) -> BaseHeader:
        key = _kept_key(name, value)
        if key is None:
            return self[name](name, value)
        header = self._kept.get(key)
        if header is None:
            header = self[name](name, value)
            if len(self._kept) < _KEPT_AT_MOST:
                self._kept[key] = header
        return header


def _kept_key(name: str, value: object) -> tuple[str, object] | None:
    if name.lower() not in _KEPT_HEADERS:
        return None
    if type(value) is str and "boundary=" not in value:  # a multipart's boundary is random
        return name, value
    if type(value) is Address:
        return name, (value.display_name, value.addr_spec)
    return None


_POLICY = SMTP.clone(header_factory=_HeaderClasses())


@dataclass(frozen=True, slots=True)
class Quote:
    """A comment quoted in a mail: the sanitized HTML we stored, never the raw input."""

    html: str
    text: str
    direction: str = "auto"


@dataclass(frozen=True, slots=True, kw_only=True)
class Sender:
    """Who a site's mail comes from, and the links its footer carries."""

    site_name: str
    address: str
    name: str | None = None
    reply_to: str | None = None
    public_url: str | None = None
    terms_url: str | None = None


Context = Mapping[str, str | Quote]


@dataclass(frozen=True, slots=True)
class Links:
    """The footer's links to the author's own things: unsubscribe, their comments."""

    unsubscribe: str | None = None
    author: str | None = None


def message_id_for(sender: Sender) -> str:
    """A new, unique Message-ID in the sender's domain."""
    return f"<{uuid.uuid4().hex}@{sender.address.rpartition('@')[2]}>"


def subject_of(kind: str, language: Language, context: Context, sender: Sender) -> str:
    """The subject `compose` gives the mail: cheap, and it checks that the kind exists and that
    `context` holds everything the kind needs (so a caller learns of a mistake at once)."""
    return Template(_texts(kind, context)[language].subject).substitute(_values(context, sender))


def _texts(kind: str, context: Context) -> Mapping[Language, Texts]:
    entry = KINDS.get(kind)
    if entry is None:
        raise UnknownKind(kind)
    missing = entry.needs - context.keys()
    if missing:
        raise ValueError(f"mail {kind!r} needs {', '.join(sorted(missing))}")
    return entry.texts


def _values(context: Context, sender: Sender) -> dict[str, str]:
    values = {k: v for k, v in context.items() if isinstance(v, str)}
    values["site"] = sender.site_name
    return values


def compose(
    kind: str,
    language: Language,
    context: Context,
    *,
    sender: Sender,
    unsubscribe_url: str | None = None,
    author_url: str | None = None,
    now: datetime | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """The message without its `To:` (added when it is sent, from the outbox's one address
    column). `context` may hold `quote` (a Quote) and `action_url`; `site` is filled in."""
    texts = _texts(kind, context)[language]
    values = _values(context, sender)
    quote = context.get("quote")
    action_url = values.pop("action_url", None)

    subject = Template(texts.subject).substitute(values)
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = subject
    message["From"] = Address(
        display_name=sender.name or sender.site_name, addr_spec=sender.address
    )
    if sender.reply_to:
        message["Reply-To"] = sender.reply_to
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id or message_id_for(sender)
    # RFC 3834: no auto-replies (vacation notices) to this, and it is not a personal message.
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 2369 and RFC 8058: one click (a POST from the mail client) unsubscribes.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer = {k: Template(v).substitute(values) for k, v in FOOTER[language].items()}
    # A paragraph that is nothing but an empty value (an optional sentence) is left out.
    paragraphs = tuple(p for p in texts.paragraphs if Template(p).substitute(values).strip())
    links = Links(unsubscribe_url, author_url)
    message.set_content(
        _text(paragraphs, texts.action, values, quote, action_url, footer, sender, links)
    )
    message.add_alternative(
        _html(
            language,
            subject,
            paragraphs,
            texts.action,
            values,
            quote,
            action_url,
            footer,
            sender,
            links,
        ),
        subtype="html",
    )
    # After the parts exist: making the message multipart moves Content-* headers into them.
    message["Content-Language"] = language.value
    return message


def _text(
    paragraphs: tuple[str, ...],
    action: str | None,
    values: Mapping[str, str],
    quote: object,
    action_url: str | None,
    footer: Mapping[str, str],
    sender: Sender,
    links: Links,
) -> str:
    parts = [Template(p).substitute(values) for p in paragraphs]
    if isinstance(quote, Quote):
        quoted = "\n".join(f"> {line}" for line in quote.text.splitlines() or [""])
        parts.append(f"{footer['quote']}\n{quoted}")
    if action and action_url:
        parts.append(f"{Template(action).substitute(values)}: {action_url}")
    tail = ["-- ", footer["automatic"]]
    if sender.public_url:
        tail.append(f"{sender.site_name}: {sender.public_url}")
    if sender.terms_url:
        tail.append(f"{footer['terms']}: {sender.terms_url}")
    if links.author:
        tail.append(f"{footer['your_comments']}: {links.author}")
    if links.unsubscribe:
        tail.append(f"{footer['unsubscribe']}: {links.unsubscribe}")
    parts.append("\n".join(tail))
    return "\n\n".join(parts) + "\n"


def _fill(template: str, values: Mapping[str, str]) -> str:
    """A template's words escaped, each value escaped and isolated (it may run either way)."""
    return Template(html.escape(template, quote=False)).substitute(
        {k: f"<bdi>{html.escape(v)}</bdi>" for k, v in values.items()}
    )


def _link(url: str, label: str, style: str = "color:#0b57d0") -> str:
    return f'<a href="{html.escape(url)}" style="{style}">{label}</a>'


def _html(
    language: Language,
    subject: str,
    paragraphs: tuple[str, ...],
    action: str | None,
    values: Mapping[str, str],
    quote: object,
    action_url: str | None,
    footer: Mapping[str, str],
    sender: Sender,
    links: Links,
) -> str:
    direction = language.direction
    start = "right" if direction == "rtl" else "left"
    body = [f'<p style="margin:0 0 16px">{_fill(p, values)}</p>' for p in paragraphs]
    if isinstance(quote, Quote):
        body.append(
            f'<p style="margin:0 0 8px;color:#555">{html.escape(footer["quote"])}</p>'
            f'<blockquote dir="{html.escape(quote.direction)}" style="margin:0 0 16px;'
            f"padding:8px 16px;border-{start}:4px solid #d0d7de;background:#f6f8fa;"
            f'unicode-bidi:plaintext">{quote.html}</blockquote>'
        )
    if action and action_url:
        button = (
            "display:inline-block;padding:10px 20px;background:#0b57d0;color:#ffffff;"
            "border-radius:6px;text-decoration:none"
        )
        body.append(
            f'<p style="margin:24px 0">{_link(action_url, _fill(action, values), button)}</p>'
        )
    shown = []
    if sender.public_url:
        shown.append(_link(sender.public_url, f"<bdi>{html.escape(sender.site_name)}</bdi>"))
    if sender.terms_url:
        shown.append(_link(sender.terms_url, html.escape(footer["terms"])))
    if links.author:
        shown.append(_link(links.author, html.escape(footer["your_comments"])))
    if links.unsubscribe:
        shown.append(_link(links.unsubscribe, html.escape(footer["unsubscribe"])))
    footer_html = f'<p style="margin:0 0 8px">{_fill(FOOTER[language]["automatic"], values)}</p>'
    if shown:
        footer_html += f'<p style="margin:0">{" · ".join(shown)}</p>'
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{language.value}" dir="{direction}">\n'
        '<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(subject)}</title></head>\n"
        '<body style="margin:0;padding:0;background:#f4f5f7">\n'
        f'<div dir="{direction}" style="direction:{direction};text-align:{start};'
        "max-width:600px;margin:0 auto;padding:24px;background:#ffffff;color:#1f2328;"
        f'font-family:{FONTS[language]};font-size:16px;line-height:1.7">\n'
        + "\n".join(body)
        + '\n<hr style="border:none;border-top:1px solid #d0d7de;margin:24px 0 12px">\n'
        f'<div style="font-size:13px;color:#59636e">{footer_html}</div>\n'
        "</div>\n</body>\n</html>\n"
    )
