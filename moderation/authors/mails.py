"""What authors hear, queued inside the transaction of the event that causes it: confirmation
links, statements of reasons, notifications and appeal outcomes. Every function here expects
the caller's transaction and never sends anything itself (the outbox does)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from string import Template

from ..config import Settings
from ..domain import (
    AppealOutcome,
    Comment,
    ReportCategory,
    Site,
    Statement,
    StatementPolicy,
    SystemReason,
)
from ..mail.compose import Quote
from ..mail.outbox import queue_mail
from ..mail.texts import PHRASES, REASON_WORDS
from ..sealing import readable
from ..store import Connection, appeals, authors, comments
from ..transparency.mapping import AutomatedDecision, DecisionKind, StatementFacts, statement_for
from . import links
from .links import Purpose

CONFIRMATION_SECONDS = 7 * 86_400
# A second confirmation mail to one address waits this long (a stranger can't flood a mailbox).
CONFIRMATION_QUIET_SECONDS = 3_600
AUTHOR_TOKEN_SECONDS = 365 * 86_400
APPEAL_SECONDS = 183 * 86_400  # six months
AUTHOR_PAGE_SECONDS = 30 * 86_400
UNSUBSCRIBE_SECONDS = 10 * 365 * 86_400


@dataclass(frozen=True, slots=True)
class Outbound:
    """What queueing an author's mail needs besides the transaction: the service's settings
    (sender, secret, base URL) and the site (language, texts, links)."""

    settings: Settings
    site: Site

    def url(self, path: str) -> str:
        return f"{self.settings.base_url}/authors/{self.site.slug}/{path}"

    def signed_url(self, purpose: Purpose, page: str, subject: str, seconds: int) -> str:
        expires = int(time.time()) + seconds
        token = links.sign(self.settings.secret_key, purpose, self.site.id, subject, expires)
        return self.url(f"{page}/{token}")

    def author_url(self, email_hash: bytes) -> str:
        return self.signed_url(Purpose.AUTHOR_PAGE, "me", email_hash.hex(), AUTHOR_PAGE_SECONDS)

    def unsubscribe_url(self, email_hash: bytes) -> str:
        return self.signed_url(
            Purpose.UNSUBSCRIBE, "unsubscribe", email_hash.hex(), UNSUBSCRIBE_SECONDS
        )

    def phrase(self, key: str, **values: str) -> str:
        return Template(PHRASES[self.site.settings.language][key]).substitute(
            site=self.site.name, **values
        )


def quote(comment: Comment) -> Quote:
    return Quote(html=comment.body_html, text=comment.body_text, direction=comment.body_dir)


def comment_link(comment: Comment) -> str | None:
    return None if comment.page_url is None else f"{comment.page_url}#comment-{comment.id}"


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    email_hash: bytes


def recipient(out: Outbound, comment: Comment) -> Recipient | None:
    """Where mail about the comment goes; None once its author's data was erased (or where
    the sealed address does not open: logged, and no mail)."""
    email = readable(out.settings.email_keys, comment.email)
    if email is None or comment.email_hash is None:
        return None
    return Recipient(email, comment.email_hash)


async def after_submit(conn: Connection, out: Outbound, comment: Comment) -> None:
    """A new comment (not spam, not a duplicate): the confirmation link for an address that
    has not proven itself, and the statement of a word rule's rejection."""
    site = out.site
    if comment.status.value == "rejected":
        await issue_statement(conn, out, comment, DecisionKind.REJECTED, None, None, None)
        return
    if comment.status.value == "approved":
        await notify_reply(conn, out, comment)
    to = recipient(out, comment)
    if comment.proven or to is None:
        return
    token = links.random_token()
    if not await authors.insert_confirmation_if_due(
        conn,
        site.id,
        to.email_hash,
        links.token_hash(token),
        comment.page_url,
        valid_seconds=CONFIRMATION_SECONDS,
        quiet_seconds=CONFIRMATION_QUIET_SECONDS,
        waiting=comment.status.value == "unverified",
    ):
        return
    await queue_mail(
        conn,
        out.settings,
        site,
        to.email,
        "confirm",
        {"name": comment.name, "action_url": out.url(f"confirm/{token}"), "quote": quote(comment)},
        author_url=out.author_url(to.email_hash),
    )


async def after_decision(
    conn: Connection,
    out: Outbound,
    comment: Comment,
    from_status: str,
    decided_by: int | None,
    explanation: str | None,
    legal_ground: str | None,
) -> None:
    if comment.status.value == "rejected":
        kind = DecisionKind.TAKEN_DOWN if from_status == "approved" else DecisionKind.REJECTED
        await issue_statement(conn, out, comment, kind, decided_by, explanation, legal_ground)
    elif comment.status.value == "approved":
        await notify_approved(conn, out, comment)
        await notify_reply(conn, out, comment)


async def issue_statement(
    conn: Connection,
    out: Outbound,
    comment: Comment,
    kind: DecisionKind,
    decided_by: int | None,
    explanation: str | None,
    legal_ground: str | None,
    *,
    report_category: ReportCategory | None = None,
) -> Statement | None:
    """Store and mail a statement of reasons (DSA Art. 17) where the site's setting says so.
    `report_category`: the category of the readers' notice the decision followed (its source
    is then SOURCE_ARTICLE_16), None for a decision on the site's own initiative."""
    site = out.site
    policy = site.settings.statement_of_reasons
    if policy == StatementPolicy.OFF:
        return None
    to = recipient(out, comment)
    if policy == StatementPolicy.VERIFIED:
        known = None if to is None else await authors.author(conn, site.id, to.email_hash)
        if known is None or not known.verified:
            return None
    automated = comment.reason == SystemReason.BANNED_TERM
    # A word or link rule's flag brought it to a moderator: detected, not decided, by a rule.
    detected = automated or bool(comment.flags)
    today = datetime.now(UTC).date()
    facts = StatementFacts(
        puid=f"{site.slug}-{uuid.uuid4().hex}",
        decision=kind,
        reason=comment.reason,
        report_category=report_category,
        legal_ground=legal_ground,
        legal_explanation=None,
        public_explanation=explanation,
        terms_url=site.settings.terms_url,
        automated_detection=detected,
        automated_decision=(
            AutomatedDecision.FULLY if automated else AutomatedDecision.NOT_AUTOMATED
        ),
        content_date=comment.created_at.date(),
        application_date=today,
        content_language=site.settings.language.value,
    )
    statement = await appeals.insert_statement(
        conn,
        appeals.NewStatement(
            site_id=site.id,
            puid=facts.puid,
            comment_id=comment.id,
            decision=kind.value,
            reason=comment.reason,
            explanation=explanation,
            legal_ground=legal_ground,
            decided_by=decided_by,
            automated_detection=detected,
            automated_decision=facts.automated_decision.value,
            facts=statement_for(facts),
        ),
    )
    if to is None:
        return statement  # stored for transparency; its author was erased, nobody to tell
    language = site.settings.language
    words = REASON_WORDS[language].get(comment.reason or "", PHRASES[language]["not_specified"])
    terms = f" ({site.settings.terms_url})" if site.settings.terms_url else ""
    context: dict[str, str | Quote] = {
        "name": comment.name,
        "restriction": out.phrase(kind.value),
        "facts": out.phrase("facts", reason=words),
        "explanation": out.phrase("explanation", text=explanation) if explanation else "",
        "ground": (
            out.phrase("ground_illegal", ground=legal_ground)
            if legal_ground
            else out.phrase("ground_terms", terms=terms)
        ),
        "automation": out.phrase("automated" if automated else "flagged" if detected else "manual"),
        "appeal": out.phrase("appeal"),
        "redress": site.settings.redress_text or out.phrase("redress"),
        "reference": out.phrase("reference", puid=statement.puid),
        "action_url": out.signed_url(Purpose.APPEAL, "appeal", str(statement.id), APPEAL_SECONDS),
        "quote": quote(comment),
    }
    await queue_mail(
        conn,
        out.settings,
        site,
        to.email,
        "statement",
        context,
        author_url=out.author_url(to.email_hash),
    )
    return statement


async def _subscribed(conn: Connection, out: Outbound, comment: Comment) -> Recipient | None:
    to = recipient(out, comment)
    if not comment.notify or to is None:
        return None
    known = await authors.author(conn, out.site.id, to.email_hash)
    return to if known is not None and known.verified and not known.unsubscribed else None


async def notify_approved(conn: Connection, out: Outbound, comment: Comment) -> None:
    to = await _subscribed(conn, out, comment)
    if to is None:
        return
    context: dict[str, str | Quote] = {"name": comment.name, "quote": quote(comment)}
    link = comment_link(comment)
    if link is not None:
        context["action_url"] = link
    await queue_mail(
        conn,
        out.settings,
        out.site,
        to.email,
        "approved",
        context,
        unsubscribe_url=out.unsubscribe_url(to.email_hash),
        author_url=out.author_url(to.email_hash),
    )


async def notify_reply(conn: Connection, out: Outbound, reply: Comment) -> None:
    """The author of the comment `reply` answers hears of it, once the reply is approved."""
    if reply.parent_id is None:
        return
    parent = await comments.get(conn, out.site.id, reply.parent_id)
    if parent is None or parent.email_hash == reply.email_hash:
        return
    to = await _subscribed(conn, out, parent)
    if to is None:
        return
    context: dict[str, str | Quote] = {
        "name": parent.name,
        "replier": reply.name,
        "quote": quote(reply),
    }
    link = comment_link(reply)
    if link is not None:
        context["action_url"] = link
    await queue_mail(
        conn,
        out.settings,
        out.site,
        to.email,
        "reply",
        context,
        unsubscribe_url=out.unsubscribe_url(to.email_hash),
        author_url=out.author_url(to.email_hash),
    )


async def appeal_decided(
    conn: Connection,
    out: Outbound,
    comment: Comment,
    statement: Statement,
    outcome: AppealOutcome,
    explanation: str | None,
) -> None:
    to = recipient(out, comment)
    if to is None:
        return
    author_url = out.author_url(to.email_hash)
    context: dict[str, str | Quote] = {
        "name": comment.name,
        "outcome": out.phrase(outcome.value),
        "explanation": out.phrase("explanation", text=explanation) if explanation else "",
        "reference": out.phrase("reference", puid=statement.puid),
        "action_url": author_url,
        "quote": quote(comment),
    }
    await queue_mail(
        conn,
        out.settings,
        out.site,
        to.email,
        "appeal_decided",
        context,
        author_url=author_url,
    )
