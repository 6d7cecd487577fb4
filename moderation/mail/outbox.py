"""Queueing a mail: its id, subject and draft written to the outbox in the caller's transaction
(the one function the use cases that send mail call), and composing it from that draft when it
is sent (or shown by the development mailbox)."""

from __future__ import annotations

from typing import Any

import asyncpg

from .. import stages
from ..config import Settings
from ..domain import Language, Queued, Site
from ..identity import email_fingerprint
from ..sealing import Place
from ..store import Connection
from ..store.mail import Draft, enqueue_mail
from .compose import Context, Quote, Sender, compose, message_id_for, subject_of
from .texts import NO_NAME
from .transport import check_recipient


def sender_of(settings: Settings, site: Site) -> Sender:
    return Sender(
        site_name=site.name,
        address=settings.mail_from,
        name=site.settings.mail_sender_name,
        reply_to=site.settings.mail_reply_to,
        public_url=site.settings.public_url,
        terms_url=site.settings.terms_url,
    )


async def queue_mail(
    conn: Connection,
    settings: Settings,
    site: Site,
    recipient: str,
    kind: str,
    context: Context,
    *,
    unsubscribe_url: str | None = None,
    author_url: str | None = None,
) -> Queued:
    """Queue `kind` in the site's language for `recipient` (a normalized address); expects a
    transaction. Only its id and subject are made here, and what composes it later is kept as
    a draft: the sender composes it (composed_from) and sends it; never delays the caller."""
    parts = (kind, site.settings.language, context, sender_of(settings, site))
    links = (unsubscribe_url, author_url)
    message_id, subject, draft = stages.timed(
        stages.CURRENT.get(), stages.MAIL, draft_of, *parts, *links
    )
    # Checked here, where the caller can still refuse, not first at sending.
    check_recipient(recipient)
    return await enqueue_mail(
        conn,
        site_id=site.id,
        kind=kind,
        recipient=settings.email_keys.seal(Place.MAIL_RECIPIENT, site.id, recipient),
        recipient_hash=email_fingerprint(settings.secret_key, site.id, recipient),
        message_id=message_id,
        subject=subject,
        draft=draft,
    )


def draft_of(
    kind: str,
    language: Language,
    context: Context,
    sender: Sender,
    unsubscribe_url: str | None,
    author_url: str | None,
) -> tuple[str, str, dict[str, Any]]:
    """The message's id, its subject (which also checks the kind and its context) and the
    draft it is composed from: everything `compose` reads, as JSON."""
    subject = subject_of(kind, language, context, sender)
    draft = {
        "language": language.value,
        "context": {
            name: value
            if isinstance(value, str)
            else {"html": value.html, "text": value.text, "direction": value.direction}
            for name, value in context.items()
        },
        "sender": {
            "site_name": sender.site_name,
            "address": sender.address,
            "name": sender.name,
            "reply_to": sender.reply_to,
            "public_url": sender.public_url,
            "terms_url": sender.terms_url,
        },
        "unsubscribe_url": unsubscribe_url,
        "author_url": author_url,
    }
    return message_id_for(sender), subject, draft


def composed_from(draft: Draft) -> bytes:
    """The bytes of a queued mail, from its draft: what `compose` made of the same parts when
    the mail was queued, dated when it was queued."""
    content = draft.content
    context: dict[str, str | Quote] = {
        name: value if isinstance(value, str) else Quote(**value)
        for name, value in content["context"].items()
    }
    message = compose(
        draft.kind,
        Language(content["language"]),
        context,
        sender=Sender(**content["sender"]),
        unsubscribe_url=content["unsubscribe_url"],
        author_url=content["author_url"],
        now=draft.created_at,
        message_id=draft.message_id,
    )
    return message.as_bytes()


async def queue_test_mail(
    pool: asyncpg.Pool, settings: Settings, site: Site, recipient: str, name: str | None
) -> Queued:
    """An admin's test mail (is the relay configured right?): one transaction of its own."""
    context = {"name": name or NO_NAME[site.settings.language]}
    if site.settings.public_url:
        context["action_url"] = site.settings.public_url
    async with pool.acquire() as conn, conn.transaction():
        return await queue_mail(conn, settings, site, recipient, "test", context)
