"""Retention SQL (issue 13): which rows of a site are due, counted or claimed a batch at a time
(FOR UPDATE SKIP LOCKED, so sweepers running at once never take the same row), and what is
done to each batch. Every statement is one site's and uses a partial index of sql/0013."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import Connection, rows_affected

# A comment whose content is still there: never erased, or only its author's data (an erase in
# `anonymize` mode, an address forgotten by retention). The partial indexes of sql/0013 carry
# the same condition, word for word, so the planner can use them.
KEEPS_CONTENT = "(t.erased IS NULL OR t.erased IN ('anonymized', 'expired'))"

# The rows due for each kind, as (table, condition, order): $1 the site, $2 the moment before
# which they are due, the table named `t`; read by count_due (dry runs) and claim_due (sweeps).
DUE: dict[str, tuple[str, str, str]] = {
    "ip": ("comments", "t.client_ip IS NOT NULL AND t.created_at < $2", "t.created_at"),
    # A reporter's network counts once per case: kept while the case is open, where a recount
    # still needs it.
    "report_network": (
        "reports",
        """t.network_hash IS NOT NULL AND t.created_at < $2
           AND EXISTS (SELECT 1 FROM report_cases k
                        WHERE k.site_id = $1 AND k.id = t.case_id AND k.status = 'resolved')""",
        "t.created_at",
    ),
    # Not while an appeal against the rejection is open: its moderator needs the text.
    "rejected": (
        "comments",
        f"""t.status = 'rejected' AND {KEEPS_CONTENT} AND t.decided_at < $2
           AND NOT EXISTS (SELECT 1 FROM appeals a
                            WHERE a.site_id = $1 AND a.comment_id = t.id AND a.status = 'open')""",
        "t.decided_at",
    ),
    "spam": (
        "comments",
        f"t.status = 'spam' AND {KEEPS_CONTENT} AND t.created_at < $2",
        "t.created_at",
    ),
    "unverified": (
        "comments",
        f"t.status = 'unverified' AND {KEEPS_CONTENT} AND t.created_at < $2",
        "t.created_at",
    ),
    "webhook_delivery": (
        "webhook_deliveries",
        "t.status <> 'pending' AND t.completed_at < $2",
        "t.completed_at",
    ),
    "mail": ("mail_outbox", "t.status <> 'pending' AND t.completed_at < $2", "t.completed_at"),
}


async def count_due(conn: Connection, kind: str, site_id: int, before: datetime) -> int:
    table, condition, _ = DUE[kind]
    return int(
        await conn.fetchval(
            f"SELECT count(*) FROM {table} t WHERE t.site_id = $1 AND {condition}",
            site_id,
            before,
        )
    )


async def claim_due(
    conn: Connection, kind: str, site_id: int, before: datetime, limit: int
) -> list[Any]:
    """Lock up to `limit` due rows, oldest first, skipping those another sweeper (or a writer)
    holds; expects a transaction, which the batch's changes share. Returns (id, email_hash)
    rows (email_hash NULL but for comments)."""
    table, condition, order = DUE[kind]
    email_hash = "t.email_hash" if table == "comments" else "NULL::bytea"
    return await conn.fetch(
        f"""SELECT t.id, {email_hash} AS email_hash
              FROM {table} t WHERE t.site_id = $1 AND {condition}
             ORDER BY {order} LIMIT $3 FOR UPDATE OF t SKIP LOCKED""",
        site_id,
        before,
        limit,
    )


async def forget_ips(conn: Connection, site_id: int, comment_ids: list[int]) -> int:
    status = await conn.execute(
        "UPDATE comments SET client_ip = NULL WHERE site_id = $1 AND id = any($2::bigint[])",
        site_id,
        comment_ids,
    )
    return rows_affected(status)


async def forget_networks(conn: Connection, site_id: int, report_ids: list[int]) -> int:
    """The network's keyed hash goes; where it stood for the reporter too (no address given),
    the reporter becomes random bytes, as an erase leaves it (still unique per comment)."""
    status = await conn.execute(
        """UPDATE reports
              SET network_hash = NULL,
                  reporter_hash = CASE WHEN reporter_hash = network_hash
                                       THEN sha256(convert_to(gen_random_uuid()::text, 'UTF8'))
                                       ELSE reporter_hash END
            WHERE site_id = $1 AND id = any($2::bigint[])""",
        site_id,
        report_ids,
    )
    return rows_affected(status)


async def delete_unreferenced(conn: Connection, site_id: int, comment_ids: list[int]) -> list[int]:
    """Delete the comments nothing refers to (no reply, audit row, statement, appeal or report)
    and their claims; returns the ids deleted. The others must stay, as placeholders."""
    await conn.execute(
        "DELETE FROM comment_claims WHERE site_id = $1 AND comment_id = any($2::bigint[])",
        site_id,
        comment_ids,
    )
    rows = await conn.fetch(
        """DELETE FROM comments c
            WHERE c.site_id = $1 AND c.id = any($2::bigint[])
              AND NOT EXISTS (SELECT 1 FROM comments r
                               WHERE r.site_id = $1 AND r.parent_id = c.id)
              AND NOT EXISTS (SELECT 1 FROM moderation_audit m
                               WHERE m.site_id = $1 AND m.comment_id = c.id)
              AND NOT EXISTS (SELECT 1 FROM statements s
                               WHERE s.site_id = $1 AND s.comment_id = c.id)
              AND NOT EXISTS (SELECT 1 FROM appeals a
                               WHERE a.site_id = $1 AND a.comment_id = c.id)
              AND NOT EXISTS (SELECT 1 FROM report_cases k
                               WHERE k.site_id = $1 AND k.comment_id = c.id)
        RETURNING c.id""",
        site_id,
        comment_ids,
    )
    return [r["id"] for r in rows]


async def delete_expired_confirmations(
    conn: Connection, site_id: int, email_hashes: list[bytes]
) -> int:
    """The addresses' unused, expired confirmation links, and the author records of addresses
    never confirmed that nothing holds any more (no comment, link, token or unsubscription)."""
    status = await conn.execute(
        """DELETE FROM author_confirmations
            WHERE site_id = $1 AND email_hash = any($2::bytea[])
              AND used_at IS NULL AND expires_at < now()""",
        site_id,
        email_hashes,
    )
    await conn.execute(
        """DELETE FROM authors a
            WHERE a.site_id = $1 AND a.email_hash = any($2::bytea[])
              AND a.verified_at IS NULL AND a.unsubscribed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM comments c
                               WHERE c.site_id = $1 AND c.email_hash = a.email_hash)
              AND NOT EXISTS (SELECT 1 FROM author_confirmations f
                               WHERE f.site_id = $1 AND f.email_hash = a.email_hash)
              AND NOT EXISTS (SELECT 1 FROM author_tokens k
                               WHERE k.site_id = $1 AND k.email_hash = a.email_hash)""",
        site_id,
        email_hashes,
    )
    return rows_affected(status)


# Finished outbox rows and their attempts: kind → (outbox table, attempts table, its reference).
_OUTBOXES = {
    "webhook_delivery": ("webhook_deliveries", "webhook_attempts", "delivery_id"),
    "mail": ("mail_outbox", "mail_attempts", "mail_id"),
}


async def delete_finished(conn: Connection, kind: str, site_id: int, ids: list[int]) -> int:
    """Delete finished (never pending) webhook deliveries or mails, with their attempts."""
    outbox, attempts, reference = _OUTBOXES[kind]
    await conn.execute(
        f"DELETE FROM {attempts} WHERE site_id = $1 AND {reference} = any($2::bigint[])",
        site_id,
        ids,
    )
    status = await conn.execute(
        f"""DELETE FROM {outbox}
             WHERE site_id = $1 AND id = any($2::bigint[]) AND status <> 'pending'""",
        site_id,
        ids,
    )
    return rows_affected(status)


# Addresses: due when the author's last comment on the site is older than the cutoff. Walked
# in email_hash order from a cursor, a batch of authors at a time (index comments_duplicates:
# site_id, email_hash, … created_at).
async def authors_after(
    conn: Connection, site_id: int, cursor: bytes, before: datetime, limit: int
) -> tuple[list[bytes], bytes | None]:
    """The next `limit` authors after `cursor`: those due, and the cursor for the next call
    (None at the end)."""
    rows = await conn.fetch(
        """SELECT email_hash, max(created_at) < $3 AS due FROM comments
            WHERE site_id = $1 AND email_hash > $2
            GROUP BY email_hash ORDER BY email_hash LIMIT $4""",
        site_id,
        cursor,
        before,
        limit,
    )
    due = [r["email_hash"] for r in rows if r["due"]]
    return due, (rows[-1]["email_hash"] if len(rows) == limit else None)


async def still_due(
    conn: Connection, site_id: int, email_hashes: list[bytes], before: datetime
) -> list[bytes]:
    """Of the addresses (whose locks the caller holds), those with no comment since `before`."""
    rows = await conn.fetch(
        """SELECT email_hash FROM comments
            WHERE site_id = $1 AND email_hash = any($2::bytea[])
            GROUP BY email_hash HAVING max(created_at) < $3""",
        site_id,
        email_hashes,
        before,
    )
    return [r["email_hash"] for r in rows]


async def count_due_addresses(conn: Connection, site_id: int, before: datetime) -> int:
    """The comments whose address is due (a dry run's count for kind 'email')."""
    return int(
        await conn.fetchval(
            """SELECT coalesce(sum(n), 0) FROM (
                   SELECT count(*) AS n FROM comments
                    WHERE site_id = $1 AND email_hash IS NOT NULL
                    GROUP BY email_hash HAVING max(created_at) < $2) due""",
            site_id,
            before,
        )
    )
