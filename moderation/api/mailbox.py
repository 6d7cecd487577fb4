"""The development mailbox, /dev/mail: every mail the outbox holds (kept, sent or waiting), as a
list and one by one (headers, the text part, the HTML part as a mail client shows it). Its
routes exist only in development mode (app.py); in production the paths are 404."""

from __future__ import annotations

import html
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from aiohttp import web

from ..config import SETTINGS
from ..db import POOL
from ..domain import Mail
from ..mail.transport import with_recipient
from ..sealing import readable
from ..service import mailbox as mailbox_reads
from .console import PAGE_HEADERS

routes = web.RouteTableDef()
LIST_LIMIT = 200
MAIL_PATH = r"/dev/mail/{site_id:\d{1,18}}/{mail_id:\d{1,18}}"
SHOWN_HEADERS = (
    "From",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "Content-Language",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)
# The mail's own HTML: inline styles as mail clients allow, no script, links open on a click.
MAIL_HTML_HEADERS = PAGE_HEADERS | {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; sandbox allow-popups allow-popups-to-escape-sandbox "
    "allow-top-navigation-by-user-activation",
}


def _page(title: str, body: str) -> web.Response:
    document = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )
    return web.Response(text=document, content_type="text/html", headers=PAGE_HEADERS)


def _linked(text: str) -> str:
    """Plain text as HTML with its web addresses clickable (word by word: linear time)."""
    lines = []
    for line in text.splitlines():
        words = [
            f'<a href="{html.escape(w)}">{html.escape(w)}</a>'
            if w.startswith(("https://", "http://"))
            else html.escape(w)
            for w in line.split(" ")
        ]
        lines.append(" ".join(words))
    return "\n".join(lines)


def _parts(raw: bytes) -> tuple[EmailMessage, str, str]:
    message = message_from_bytes(raw, _class=EmailMessage, policy=default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    markup = message.get_body(("html",))
    return (
        message,
        text.get_content() if isinstance(text, EmailMessage) else "",
        markup.get_content() if isinstance(markup, EmailMessage) else "",
    )


async def _mail(request: web.Request) -> Mail:
    site_id, mail_id = int(request.match_info["site_id"]), int(request.match_info["mail_id"])
    return await mailbox_reads.one(request.app[POOL], site_id, mail_id)


# An address that does not open (logged) is shown as this, never as an error page.
UNAVAILABLE = "(address unavailable)"


def _to(request: web.Request, found: Mail) -> str:
    return readable(request.app[SETTINGS].email_keys, found.recipient) or UNAVAILABLE


@routes.get("/dev/mail")
async def mailbox(request: web.Request) -> web.Response:
    mails = await mailbox_reads.recent(request.app[POOL], LIST_LIMIT)
    rows = "\n".join(
        f"<tr><td>{m.created_at:%Y-%m-%d %H:%M:%S}</td><td>{html.escape(m.site_slug)}</td>"
        f"<td>{html.escape(m.kind)}</td><td>{html.escape(_to(request, m))}</td>"
        f'<td><a href="/dev/mail/{m.site_id}/{m.id}"><bdi>{html.escape(m.subject)}</bdi></a></td>'
        f"<td>{m.status.value}</td></tr>"
        for m in mails
    )
    return _page(
        "Development mailbox",
        "<h1>Development mailbox</h1>\n<p>Mails the service queued, newest first (the last "
        f"{LIST_LIMIT}). Without MODERATION_SMTP_URL they are kept here instead of sent.</p>\n"
        "<table><thead><tr><th>Queued</th><th>Site</th><th>Kind</th><th>To</th><th>Subject</th>"
        f"<th>Status</th></tr></thead>\n<tbody>\n{rows}\n</tbody></table>",
    )


@routes.get(MAIL_PATH)
async def one_mail(request: web.Request) -> web.Response:
    found = await _mail(request)
    message, text, _ = _parts(found.message)
    base = f"/dev/mail/{found.site_id}/{found.id}"
    headers = [("To", _to(request, found))] + [
        (name, str(message[name])) for name in SHOWN_HEADERS if message[name] is not None
    ]
    rows = "\n".join(
        f"<tr><th>{name}</th><td><bdi>{html.escape(value)}</bdi></td></tr>"
        for name, value in headers
    )
    return _page(
        found.subject,
        f'<p><a href="/dev/mail">All mails</a></p>\n<h1><bdi>{html.escape(found.subject)}</bdi>'
        f"</h1>\n<p>{found.kind} · {found.status.value} · {found.attempts} attempt(s) · "
        f'<a href="{base}/html">HTML part</a> · <a href="{base}/text">text part</a> · '
        f'<a href="{base}/raw">raw message</a></p>\n<table>{rows}</table>\n'
        f'<pre dir="auto">{_linked(text)}</pre>',
    )


@routes.get(MAIL_PATH + "/html")
async def mail_html(request: web.Request) -> web.Response:
    _, _, markup = _parts((await _mail(request)).message)
    return web.Response(text=markup, content_type="text/html", headers=MAIL_HTML_HEADERS)


@routes.get(MAIL_PATH + "/text")
async def mail_text(request: web.Request) -> web.Response:
    _, text, _ = _parts((await _mail(request)).message)
    return web.Response(text=text, content_type="text/plain", headers=PAGE_HEADERS)


@routes.get(MAIL_PATH + "/raw")
async def mail_raw(request: web.Request) -> web.Response:
    found = await _mail(request)
    # As it is sent: the stored message with its To: header (none where the address is
    # unreadable: the page still answers).
    to = readable(request.app[SETTINGS].email_keys, found.recipient)
    raw = found.message if to is None else with_recipient(found.message, to)
    return web.Response(body=raw, content_type="text/plain", charset="utf-8", headers=PAGE_HEADERS)
