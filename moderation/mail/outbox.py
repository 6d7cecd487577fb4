"""Queueing a mail: compose it for the site, then write it to the outbox in the caller's
transaction. The one function the use cases that send mail call."""

from __future__ import annotations

import asyncpg

from .. import stages
from ..config import Settings
from ..domain import Language, Queued, Site
from ..identity import email_fingerprint
from ..sealing import Place
from ..store import Connection
from ..store.mail import enqueue_mail
from .compose import Context, Sender, compose
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
    """Compose `kind` in the site's language and queue it for `recipient` (a normalized
    address); expects a transaction. Sent later by a sender; never delays the caller."""
    parts = (kind, site.settings.language, context, sender_of(settings, site))
    links = (unsubscribe_url, author_url)
    clock = stages.CURRENT.get()
    message_id, subject, message = (
        _composed(*parts, *links)
        if clock is None
        else clock.call(stages.MAIL, _composed, *parts, *links)
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
        message=message,
    )


def _composed(
    kind: str,
    language: Language,
    context: Context,
    sender: Sender,
    unsubscribe_url: str | None,
    author_url: str | None,
) -> tuple[str, str, bytes]:
    """The message's id, subject and bytes."""
    message = compose(
        kind,
        language,
        context,
        sender=sender,
        unsubscribe_url=unsubscribe_url,
        author_url=author_url,
    )
    return str(message["Message-ID"]), str(message["Subject"]), message.as_bytes()


async def queue_test_mail(
    pool: asyncpg.Pool, settings: Settings, site: Site, recipient: str, name: str | None
) -> Queued:
    """An admin's test mail (is the relay configured right?): one transaction of its own."""
    context = {"name": name or NO_NAME[site.settings.language]}
    if site.settings.public_url:
        context["action_url"] = site.settings.public_url
    async with pool.acquire() as conn, conn.transaction():
        return await queue_mail(conn, settings, site, recipient, "test", context)
