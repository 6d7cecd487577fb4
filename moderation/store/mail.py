"""The mail outbox SQL: queueing in the caller's transaction, the sender's claims (SKIP LOCKED +
a lease), recording attempts, suppressed addresses, and the development mailbox's reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain import Mail, MailStatus, Queued
from ..sealing import Place, Sealed, Stored
from . import Connection, rows_affected

NOTIFY_CHANNEL = "moderation_mail"


@dataclass(frozen=True, slots=True)
class Draft:
    """A queued mail not composed yet: what mail.outbox.composed_from makes its bytes of.
    `content` holds personal data (a name, a quoted comment, signed links)."""

    kind: str
    message_id: str
    created_at: datetime
    content: dict[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Claim:
    """A mail claimed for one attempt: `attempt` is also the fencing token of the claim. Its
    `message` is None until it is composed from its `draft`."""

    site_id: int
    id: int
    recipient_hash: bytes
    message: bytes | None
    attempt: int
    recipient: Stored = field(repr=False)
    draft: Draft | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Result:
    site_id: int
    id: int
    attempt: int
    status: MailStatus
    delay: float | None
    at: datetime
    smtp_code: int | None
    error: str | None
    duration_ms: float
    recipient_hash: bytes = b""


async def enqueue_mail(
    conn: Connection,
    *,
    site_id: int,
    kind: str,
    recipient: Sealed,
    recipient_hash: bytes,
    message_id: str,
    subject: str,
    draft: Mapping[str, Any],
) -> Queued:
    """Queue a mail, to be composed from `draft` when it is sent; expects the caller's
    transaction (the outbox pattern: the mail exists exactly when the change that caused it was
    committed, and the NOTIFY that wakes the senders is delivered on commit). A suppressed
    address gets a row that is never sent."""
    row = await conn.fetchrow(
        """WITH queued AS (
               INSERT INTO mail_outbox (site_id, kind, recipient_sealed, recipient_key,
                                        recipient_hash, message_id, subject, draft, status,
                                        next_attempt_at)
               SELECT $1, $2, $3, $9, $4, $5, $6, $7, s.status,
                      CASE WHEN s.status = 'pending' THEN now() END
                 FROM (SELECT CASE WHEN EXISTS (SELECT 1 FROM mail_suppressions
                                                 WHERE site_id = $1 AND recipient_hash = $4)
                                   THEN 'suppressed' ELSE 'pending' END AS status) s
               RETURNING id, status)
           SELECT id, status, CASE WHEN status = 'pending' THEN pg_notify($8, '') END AS woken
             FROM queued""",
        site_id,
        kind,
        recipient.blob,
        recipient_hash,
        message_id,
        subject,
        draft,
        NOTIFY_CHANNEL,
        recipient.key_id,
    )
    assert row is not None
    return Queued(site_id, row["id"], message_id, MailStatus(row["status"]))


# The inner SELECT locks the rows it picks and skips rows another sender has locked; the UPDATE
# leases them and counts the attempt. `attempts` after the increment fences the claim.
CLAIM_DUE = """
-- cross-tenant: every sender serves every site
UPDATE mail_outbox m
   SET locked_until = now() + make_interval(secs => $2), attempts = m.attempts + 1
  FROM (SELECT site_id, id FROM mail_outbox
         WHERE status = 'pending' AND next_attempt_at <= now()
           AND (locked_until IS NULL OR locked_until < now())
         ORDER BY next_attempt_at
         LIMIT $1
           FOR UPDATE SKIP LOCKED) due
 WHERE m.site_id = due.site_id AND m.id = due.id
RETURNING m.site_id, m.id, m.recipient, m.recipient_sealed, m.recipient_key, m.recipient_hash,
          m.message, m.attempts, m.kind, m.message_id, m.created_at, m.draft
"""


async def claim_due(conn: Connection, limit: int, lease_seconds: float) -> list[Claim]:
    rows = await conn.fetch(CLAIM_DUE, limit, lease_seconds)
    return [
        Claim(
            site_id=r["site_id"],
            id=r["id"],
            recipient=_recipient(r),
            recipient_hash=r["recipient_hash"],
            message=r["message"],
            attempt=r["attempts"],
            draft=_draft(r),
        )
        for r in rows
    ]


def _draft(row: Any) -> Draft | None:
    if row["draft"] is None:
        return None
    return Draft(row["kind"], row["message_id"], row["created_at"], row["draft"])


async def store_composed(
    conn: Connection, composed: Sequence[tuple[int, int, bytes]]
) -> dict[tuple[int, int], bytes]:
    """Keep the bytes composed from drafts, (site_id, id, message) each, and drop the drafts
    (no second copy of what they hold). The message stored first wins, so every attempt and
    every reader gets the same bytes: what is returned, by (site_id, id), is what to send. A
    mail erased meanwhile is not returned (and must not be sent)."""
    if not composed:
        return {}
    rows = await conn.fetch(
        """-- cross-tenant: a sender keeps the mails it composed, of any site
           UPDATE mail_outbox m
              SET message = coalesce(m.message, c.message), draft = NULL
             FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS c(site_id, id, message)
            WHERE m.site_id = c.site_id AND m.id = c.id
        RETURNING m.site_id, m.id, m.message""",
        [site_id for site_id, _, _ in composed],
        [mail_id for _, mail_id, _ in composed],
        [message for _, _, message in composed],
    )
    return {(r["site_id"], r["id"]): r["message"] for r in rows}


def _recipient(row: Any) -> Stored:
    stored = Stored.of(
        Place.MAIL_RECIPIENT,
        row["site_id"],
        row["recipient_sealed"],
        row["recipient_key"],
        row["recipient"],
    )
    assert stored is not None  # mail_outbox_has_recipient
    return stored


async def seconds_until_next_due(conn: Connection) -> float | None:
    value = await conn.fetchval(
        """-- cross-tenant: when any site's next mail is due
           SELECT extract(epoch FROM min(next_attempt_at) - now())
             FROM mail_outbox WHERE status = 'pending' AND next_attempt_at > now()"""
    )
    return None if value is None else float(value)


async def record_results(conn: Connection, results: Sequence[Result]) -> int:
    """Write the attempts and move their mails on; expects a transaction. A mail only moves when
    it is still pending at the attempt that was made (a sender whose lease expired and was
    claimed again cannot overwrite the newer state). An undeliverable address is suppressed for
    its site and the mails still waiting for it are never sent."""
    if not results:
        return 0
    status = await conn.execute(
        """
        WITH result AS (
            -- A mail erased meanwhile (service/subjects.py) is gone with its attempts: the
            -- lock waits for such an erase, and then the mail is left out.
            SELECT r.* FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::text[],
                                   $5::float8[], $6::timestamptz[], $7::integer[], $8::text[],
                                   $9::float8[])
                AS r(site_id, id, attempt, status, delay, at, smtp_code, error, duration_ms)
              JOIN mail_outbox kept ON kept.site_id = r.site_id AND kept.id = r.id
               FOR KEY SHARE OF kept
        ), history AS (
            INSERT INTO mail_attempts (site_id, mail_id, attempt, at, smtp_code, error,
                                       duration_ms)
            SELECT site_id, id, attempt, at, smtp_code, error, duration_ms FROM result
                ON CONFLICT (site_id, mail_id, attempt) DO NOTHING
        )
        UPDATE mail_outbox m
           SET status = r.status,
               next_attempt_at = CASE WHEN r.status = 'pending'
                                      THEN now() + make_interval(secs => r.delay) END,
               locked_until = NULL,
               completed_at = CASE WHEN r.status = 'pending' THEN NULL ELSE now() END
          FROM result r
         WHERE m.site_id = r.site_id AND m.id = r.id
           AND m.attempts = r.attempt AND m.status = 'pending'
        """,
        [r.site_id for r in results],
        [r.id for r in results],
        [r.attempt for r in results],
        [r.status.value for r in results],
        [r.delay for r in results],
        [r.at for r in results],
        [r.smtp_code for r in results],
        [r.error for r in results],
        [r.duration_ms for r in results],
    )
    bounced = [r for r in results if r.status == MailStatus.UNDELIVERABLE]
    if bounced:
        await conn.execute(
            """WITH bounced AS (
                   SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::integer[], $4::text[])
                       AS b(site_id, recipient_hash, smtp_code, reason)
               ), suppressed AS (
                   INSERT INTO mail_suppressions (site_id, recipient_hash, smtp_code, reason)
                   SELECT DISTINCT ON (site_id, recipient_hash) * FROM bounced
                       ON CONFLICT (site_id, recipient_hash) DO NOTHING
               )
               UPDATE mail_outbox m
                  SET status = 'suppressed', completed_at = now(), next_attempt_at = NULL
                 FROM bounced b
                WHERE m.site_id = b.site_id AND m.recipient_hash = b.recipient_hash
                  AND m.status = 'pending'""",
            [r.site_id for r in bounced],
            [r.recipient_hash for r in bounced],
            [r.smtp_code for r in bounced],
            [r.error for r in bounced],
        )
    return rows_affected(status)


async def release(conn: Connection, claims: Sequence[Claim]) -> int:
    """Give back claims whose attempt never finished (shutdown): due again at once, the attempt
    not counted."""
    if not claims:
        return 0
    status = await conn.execute(
        """-- cross-tenant: a sender hands back the claims it did not finish, of any site
           UPDATE mail_outbox m
              SET locked_until = NULL, attempts = m.attempts - 1
             FROM unnest($1::bigint[], $2::bigint[], $3::integer[]) AS r(site_id, id, attempt)
            WHERE m.site_id = r.site_id AND m.id = r.id
              AND m.attempts = r.attempt AND m.status = 'pending'""",
        [c.site_id for c in claims],
        [c.id for c in claims],
        [c.attempt for c in claims],
    )
    return rows_affected(status)


async def queued_count(conn: Connection, cap: int) -> int:
    """Mails waiting to be sent, every site, counted only up to `cap` (for the metrics scrape:
    one bounded scan, however long the outbox grows)."""
    value = await conn.fetchval(
        """-- cross-tenant: the waiting-mail gauge of the metrics endpoint, counted with a bound
           SELECT count(*) FROM (SELECT 1 FROM mail_outbox WHERE status = 'pending' LIMIT $1) m""",
        cap,
    )
    return int(value)


async def is_suppressed(conn: Connection, site_id: int, recipient_hash: bytes) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM mail_suppressions
                               WHERE site_id = $1 AND recipient_hash = $2)""",
            site_id,
            recipient_hash,
        )
    )


# The development mailbox (every site at once: it exists only in development mode) -----------

MAIL_COLUMNS = """m.site_id, s.slug AS site_slug, m.id, m.kind, m.subject, m.status,
    m.attempts, m.created_at, m.completed_at, m.recipient, m.recipient_sealed, m.recipient_key"""


def _mail(row: object, message: bytes = b"") -> Mail:
    values = dict(row)  # type: ignore[call-overload]
    values["status"] = MailStatus(values["status"])
    values["recipient"] = _recipient(values)
    del values["recipient_sealed"], values["recipient_key"]
    return Mail(**values, message=message)


async def recent_mails(conn: Connection, limit: int) -> list[Mail]:
    rows = await conn.fetch(
        f"""-- cross-tenant: the development mailbox (/dev/mail) lists every site's mail
            SELECT {MAIL_COLUMNS} FROM mail_outbox m JOIN sites s ON s.id = m.site_id
             ORDER BY m.created_at DESC, m.id DESC LIMIT $1""",
        limit,
    )
    return [_mail(row) for row in rows]


async def mail_by_id(
    conn: Connection, site_id: int, mail_id: int
) -> tuple[Mail, Draft | None] | None:
    """The mail (its message empty while not composed) and its draft, if it has one."""
    row = await conn.fetchrow(
        f"""SELECT {MAIL_COLUMNS}, m.message, m.message_id, m.draft
              FROM mail_outbox m JOIN sites s ON s.id = m.site_id
             WHERE m.site_id = $1 AND m.id = $2""",
        site_id,
        mail_id,
    )
    if row is None:
        return None
    values = dict(row)
    message, _, _ = values.pop("message"), values.pop("message_id"), values.pop("draft")
    return _mail(values, message or b""), _draft(row)
