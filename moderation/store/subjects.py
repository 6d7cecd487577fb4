"""Data subjects' SQL: everything held about one address on one site (by its keyed hash), to
export it, and the statements that erase it from every table that holds it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import Connection, rows_affected
from .comments import COMMENT_COLUMNS


@dataclass(frozen=True, slots=True)
class ErasedComment:
    id: int
    thread: str
    status: str


async def comments_of(conn: Connection, site_id: int, email_hash: bytes) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""SELECT {COMMENT_COLUMNS}, host(client_ip) AS client_ip FROM comments
             WHERE site_id = $1 AND email_hash = $2 ORDER BY created_at, id""",
        site_id,
        email_hash,
    )
    return [dict(r) for r in rows]


async def decisions_of(conn: Connection, site_id: int, comment_ids: list[int]) -> list[Any]:
    # The moderators' internal note stays internal (issue 11); the explanation was for the author.
    return await conn.fetch(
        """SELECT comment_id, action, from_status, to_status, reason, explanation, at,
                  CASE WHEN token_id IS NULL THEN 'system' ELSE 'token:' || token_id END AS actor
             FROM moderation_audit WHERE site_id = $1 AND comment_id = any($2::bigint[])
            ORDER BY comment_id, id""",
        site_id,
        comment_ids,
    )


async def statements_of(conn: Connection, site_id: int, comment_ids: list[int]) -> list[Any]:
    return await conn.fetch(
        """SELECT comment_id, puid, decision, reason, explanation, legal_ground,
                  automated_detection, created_at
             FROM statements WHERE site_id = $1 AND comment_id = any($2::bigint[])
            ORDER BY created_at, id""",
        site_id,
        comment_ids,
    )


async def appeals_of(conn: Connection, site_id: int, comment_ids: list[int]) -> list[Any]:
    return await conn.fetch(
        """SELECT id, comment_id, body, status, outcome, explanation, created_at, decided_at
             FROM appeals WHERE site_id = $1 AND comment_id = any($2::bigint[])
            ORDER BY created_at, id""",
        site_id,
        comment_ids,
    )


async def author_of(conn: Connection, site_id: int, email_hash: bytes) -> Any:
    return await conn.fetchrow(
        """SELECT verified_at, unsubscribed_at, created_at,
                  (SELECT count(*) FROM author_confirmations
                    WHERE site_id = $1 AND email_hash = $2) AS confirmations,
                  (SELECT count(*) FROM author_tokens
                    WHERE site_id = $1 AND email_hash = $2
                      AND revoked_at IS NULL AND expires_at > now()) AS live_tokens,
                  EXISTS (SELECT 1 FROM mail_suppressions
                           WHERE site_id = $1 AND recipient_hash = $2) AS undeliverable
             FROM authors WHERE site_id = $1 AND email_hash = $2""",
        site_id,
        email_hash,
    )


async def reports_by(conn: Connection, site_id: int, email_hash: bytes) -> list[Any]:
    """The reports the address filed (issue 12), with their case's outcome."""
    return await conn.fetch(
        """SELECT r.reference, r.comment_id, r.category, r.explanation, r.legal_ground,
                  r.good_faith, r.reporter_name, r.reporter_email, r.reporter_email_sealed,
                  r.reporter_email_key, r.created_at,
                  c.status AS case_status, c.action, c.resolved_at
             FROM reports r JOIN report_cases c ON c.site_id = r.site_id AND c.id = r.case_id
            WHERE r.site_id = $1 AND r.reporter_hash = $2
            ORDER BY r.created_at, r.id""",
        site_id,
        email_hash,
    )


async def mails_to(conn: Connection, site_id: int, email_hash: bytes) -> list[Any]:
    return await conn.fetch(
        """SELECT kind, subject, status, attempts, created_at, completed_at
             FROM mail_outbox WHERE site_id = $1 AND recipient_hash = $2
            ORDER BY created_at, id""",
        site_id,
        email_hash,
    )


@dataclass(frozen=True, slots=True)
class Placeholders:
    name: str
    name_dir: str
    body_text: str
    body_html: str
    appeal: str


async def erase_comments(
    conn: Connection, site_id: int, email_hash: bytes, *, delete: bool, words: Placeholders
) -> list[ErasedComment]:
    """Anonymize (or, with `delete`, also blank) the address's comments; the rows stay as
    placeholders, so replies keep their place and statements their reference."""
    erased = "deleted" if delete else "anonymized"
    return await _erase(conn, _BY_AUTHOR, site_id, [email_hash], erased, words, blank=delete)


async def expire_comments(
    conn: Connection, site_id: int, email_hashes: list[bytes]
) -> list[ErasedComment]:
    """Retention: the addresses' comments keep their name and text (the public view) and lose
    the address, its keyed hash, the website and the IP (erased = 'expired')."""
    return await _erase(conn, _BY_AUTHOR, site_id, email_hashes, "expired", None, blank=False)


async def purge_comments(
    conn: Connection, site_id: int, comment_ids: list[int], words: Placeholders
) -> list[ErasedComment]:
    """Retention: the comments become "comment removed" placeholders of a "deleted author"
    (erased = 'purged'), as an erase in `delete` mode leaves them."""
    return await _erase(conn, _BY_ID, site_id, comment_ids, "purged", words, blank=True)


_BY_AUTHOR = "email_hash = any($2::bytea[])"
_BY_ID = "id = any($2::bigint[])"


async def _erase(
    conn: Connection,
    which: str,
    site_id: int,
    keys: list[Any],
    erased: str,
    words: Placeholders | None,
    *,
    blank: bool,
) -> list[ErasedComment]:
    """Without `words` the name stays; with `blank` the content goes too."""
    rows = await conn.fetch(
        f"""UPDATE comments
              SET name = coalesce($3, name), name_dir = coalesce($4, name_dir),
                  email = NULL, email_sealed = NULL, email_key = NULL, email_hash = NULL,
                  website = NULL,
                  client_ip = NULL, notify = false, erased = $8,
                  body_text = CASE WHEN $5 THEN $6 ELSE body_text END,
                  body_html = CASE WHEN $5 THEN $7 ELSE body_html END,
                  body_dir = CASE WHEN $5 THEN $4 ELSE body_dir END,
                  flags = CASE WHEN $5 THEN '[]'::jsonb ELSE flags END,
                  duplicate_key = NULL,
                  page_url = CASE WHEN $5 THEN NULL ELSE page_url END
            WHERE site_id = $1 AND {which}
        RETURNING id, thread, status""",
        site_id,
        keys,
        None if words is None else words.name,
        None if words is None else words.name_dir,
        blank,
        None if words is None else words.body_text,
        None if words is None else words.body_html,
        erased,
    )
    return [ErasedComment(r["id"], r["thread"], r["status"]) for r in rows]


async def clear_audit_notes(conn: Connection, site_id: int, comment_ids: list[int]) -> int:
    """The decisions stay; the moderators' notes and explanations about the author go."""
    status = await conn.execute(
        """UPDATE moderation_audit SET note = NULL, explanation = NULL
            WHERE site_id = $1 AND comment_id = any($2::bigint[])
              AND (note IS NOT NULL OR explanation IS NOT NULL)""",
        site_id,
        comment_ids,
    )
    return rows_affected(status)


async def record_erasure(
    conn: Connection, site_id: int, comment_ids: list[int], token_id: int | None, action: str
) -> None:
    await conn.execute(
        """INSERT INTO moderation_audit
               (site_id, comment_id, actor, token_id, action, from_status, to_status)
           SELECT $1, id, CASE WHEN $3::bigint IS NULL THEN 'system' ELSE 'token' END, $3, $4,
                  status, status
             FROM comments WHERE site_id = $1 AND id = any($2::bigint[])""",
        site_id,
        comment_ids,
        token_id,
        action,
    )


async def erase_appeals(conn: Connection, site_id: int, comment_ids: list[int], text: str) -> int:
    status = await conn.execute(
        """UPDATE appeals SET body = $3
            WHERE site_id = $1 AND comment_id = any($2::bigint[]) AND body <> $3""",
        site_id,
        comment_ids,
        text,
    )
    return rows_affected(status)


async def redact_deliveries(
    conn: Connection, site_id: int, comment_ids: list[int], *, delete: bool, words: Placeholders
) -> int:
    """Webhook payloads of the comments (sent or still due) lose the name and website, and
    with `delete` the body: a retry sends the erased version."""
    status = await conn.execute(
        """UPDATE webhook_deliveries d
              SET body = (CASE WHEN $4
                               THEN jsonb_set(r.named, '{data,body_html}', to_jsonb($5::text))
                               ELSE r.named END)::text
             FROM (SELECT id,
                          jsonb_set(jsonb_set(body::jsonb, '{data,name}', to_jsonb($3::text)),
                                    '{data,website}', 'null'::jsonb) AS named
                     FROM webhook_deliveries
                    -- The events whose payload is a comment's public view (the partial index
                    -- webhook_deliveries_comment of sql/0012 has these literals).
                    WHERE site_id = $1
                      AND event_type IN ('comment.created', 'comment.approved',
                                         'comment.rejected')
                      AND (body::jsonb #>> '{data,id}') = any($2::text[])) r
            WHERE d.site_id = $1 AND d.id = r.id""",
        site_id,
        [str(i) for i in comment_ids],
        words.name,
        delete,
        words.body_html,
    )
    return rows_affected(status)


async def erase_reports(
    conn: Connection, site_id: int, email_hashes: list[bytes], *, delete: bool
) -> int:
    """The reports stay (their cases and counts stand) but no longer name their reporter:
    the name, the address, its keyed hash (replaced by random bytes, still unique per comment)
    and the network's; with `delete` also the reporter's explanation and legal ground."""
    status = await conn.execute(
        """UPDATE reports
              SET reporter_name = NULL, reporter_email = NULL, reporter_email_sealed = NULL,
                  reporter_email_key = NULL, network_hash = NULL,
                  reporter_hash = sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
                  explanation = CASE WHEN $3 THEN NULL ELSE explanation END,
                  legal_ground = CASE WHEN $3 THEN NULL ELSE legal_ground END
            WHERE site_id = $1 AND reporter_hash = any($2::bytea[])""",
        site_id,
        email_hashes,
        delete,
    )
    return rows_affected(status)


async def delete_mails(conn: Connection, site_id: int, email_hashes: list[bytes]) -> int:
    """Mails to the addresses (sent, due, or kept for /dev/mail) and their attempts. The mails
    are locked first, in a statement of their own: a sender recording an attempt meanwhile
    (it holds a key-share lock on its mail) either committed before, and its attempt is seen
    and deleted here, or waits, and then finds its mail gone and records nothing."""
    mail_ids = [
        r["id"]
        for r in await conn.fetch(
            """SELECT id FROM mail_outbox
                WHERE site_id = $1 AND recipient_hash = any($2::bytea[]) FOR UPDATE""",
            site_id,
            email_hashes,
        )
    ]
    await conn.execute(
        "DELETE FROM mail_attempts WHERE site_id = $1 AND mail_id = any($2::bigint[])",
        site_id,
        mail_ids,
    )
    status = await conn.execute(
        "DELETE FROM mail_outbox WHERE site_id = $1 AND recipient_hash = any($2::bytea[])",
        site_id,
        email_hashes,
    )
    return rows_affected(status)


async def delete_author(
    conn: Connection, site_id: int, email_hashes: list[bytes]
) -> dict[str, int]:
    """The authors' records, their confirmation links and tokens, and their mail suppressions."""
    counts = {}
    for table, statement in _DELETE_AUTHOR.items():
        counts[table] = rows_affected(await conn.execute(statement, site_id, email_hashes))
    return counts


# Children before the author row they reference.
_DELETE_AUTHOR = {
    table: f"DELETE FROM {table} WHERE site_id = $1 AND {column} = any($2::bytea[])"
    for table, column in (
        ("author_confirmations", "email_hash"),
        ("author_tokens", "email_hash"),
        ("authors", "email_hash"),
        ("mail_suppressions", "recipient_hash"),
    )
}


async def delete_author_limits(conn: Connection, site_id: int, email_hashes: list[bytes]) -> int:
    """The per-author rate-limit rows, keyed `author:<hash hex>[:network]:…`."""
    status = await conn.execute(
        """DELETE FROM rate_limits
            WHERE site_id = $1 AND starts_with(bucket, 'author:')
              AND split_part(bucket, ':', 2) = any($2::text[])""",
        site_id,
        [h.hex() for h in email_hashes],
    )
    return rows_affected(status)


async def site_slugs(conn: Connection) -> list[str]:
    rows = await conn.fetch(
        "-- cross-tenant: the operator's erase on every site, one site at a time\n"
        "SELECT slug FROM sites ORDER BY id"
    )
    return [r["slug"] for r in rows]
