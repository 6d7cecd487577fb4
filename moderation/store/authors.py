"""Authors SQL: addresses known to a site (by keyed hash), confirmation links, author tokens,
and an author's own comments."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import Comment, LinkState
from . import Connection
from .comments import COMMENT_COLUMNS


@dataclass(frozen=True, slots=True)
class Author:
    verified: bool
    unsubscribed: bool


@dataclass(frozen=True, slots=True)
class Confirmed:
    email_hash: bytes
    return_to: str | None


async def author(conn: Connection, site_id: int, email_hash: bytes) -> Author | None:
    row = await conn.fetchrow(
        """SELECT verified_at IS NOT NULL AS verified, unsubscribed_at IS NOT NULL AS unsubscribed
             FROM authors WHERE site_id = $1 AND email_hash = $2""",
        site_id,
        email_hash,
    )
    return None if row is None else Author(row["verified"], row["unsubscribed"])


async def insert_confirmation_if_due(
    conn: Connection,
    site_id: int,
    email_hash: bytes,
    token_hash: bytes,
    return_to: str | None,
    *,
    valid_seconds: float,
    quiet_seconds: float,
    waiting: bool,
) -> bool:
    """Store a confirmation link for this address if one is due, in one round trip, and say
    whether it was: not for a verified author (unless their comment is `waiting` for it), and
    not while a link sent within `quiet_seconds` is still open: a stranger typing someone's
    address cannot flood their mailbox."""
    stored = await conn.fetchval(
        """WITH due AS (
               SELECT ($7 OR NOT coalesce((SELECT verified_at IS NOT NULL FROM authors
                                            WHERE site_id = $1 AND email_hash = $2), false))
                      AND NOT EXISTS (SELECT 1 FROM author_confirmations
                                       WHERE site_id = $1 AND email_hash = $2
                                         AND used_at IS NULL AND expires_at > now()
                                         AND created_at > now() - make_interval(secs => $6))
                      AS yes),
           known AS (
               INSERT INTO authors (site_id, email_hash)
               SELECT $1, $2 FROM due WHERE yes
               ON CONFLICT (site_id, email_hash) DO NOTHING)
           INSERT INTO author_confirmations (site_id, email_hash, token_hash, return_to,
                                             expires_at)
           SELECT $1, $2, $3, $4, now() + make_interval(secs => $5) FROM due WHERE yes
           RETURNING true""",
        site_id,
        email_hash,
        token_hash,
        return_to,
        valid_seconds,
        quiet_seconds,
        waiting,
    )
    return bool(stored)


async def confirmation_state(conn: Connection, site_id: int, token_hash: bytes) -> LinkState:
    row = await conn.fetchrow(
        """SELECT used_at IS NOT NULL AS used, expires_at <= now() AS expired
             FROM author_confirmations WHERE site_id = $1 AND token_hash = $2""",
        site_id,
        token_hash,
    )
    if row is None:
        return LinkState.UNKNOWN
    if row["used"]:
        return LinkState.USED
    return LinkState.EXPIRED if row["expired"] else LinkState.OPEN


async def use_confirmation(conn: Connection, site_id: int, token_hash: bytes) -> Confirmed | None:
    """Guarded: of two concurrent confirmations of one link, one gets the row, the other None."""
    row = await conn.fetchrow(
        """UPDATE author_confirmations SET used_at = now()
            WHERE site_id = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > now()
        RETURNING email_hash, return_to""",
        site_id,
        token_hash,
    )
    return None if row is None else Confirmed(bytes(row["email_hash"]), row["return_to"])


async def mark_verified(conn: Connection, site_id: int, email_hash: bytes) -> None:
    await conn.execute(
        """UPDATE authors SET verified_at = coalesce(verified_at, now())
            WHERE site_id = $1 AND email_hash = $2""",
        site_id,
        email_hash,
    )


async def insert_token(
    conn: Connection, site_id: int, email_hash: bytes, token_hash: bytes, valid_seconds: float
) -> None:
    await conn.execute(
        """INSERT INTO author_tokens (site_id, email_hash, token_hash, expires_at)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4))""",
        site_id,
        email_hash,
        token_hash,
        valid_seconds,
    )


async def revoke_tokens(conn: Connection, site_id: int, email_hash: bytes) -> int:
    status = await conn.execute(
        """UPDATE author_tokens SET revoked_at = now()
            WHERE site_id = $1 AND email_hash = $2 AND revoked_at IS NULL""",
        site_id,
        email_hash,
    )
    return int(status.rsplit(" ", 1)[1])


async def release_unverified(conn: Connection, site_id: int, email_hash: bytes) -> list[Comment]:
    """The address's comments that waited for it to be confirmed enter the queue."""
    rows = await conn.fetch(
        f"""UPDATE comments SET status = 'pending'
             WHERE site_id = $1 AND email_hash = $2 AND status = 'unverified'
         RETURNING {COMMENT_COLUMNS}""",
        site_id,
        email_hash,
    )
    return [Comment.from_row(r) for r in rows]


async def unsubscribe(conn: Connection, site_id: int, email_hash: bytes) -> None:
    await conn.execute(
        """INSERT INTO authors (site_id, email_hash, unsubscribed_at) VALUES ($1, $2, now())
           ON CONFLICT (site_id, email_hash) DO UPDATE
              SET unsubscribed_at = coalesce(authors.unsubscribed_at, now())""",
        site_id,
        email_hash,
    )


async def own_comments(
    conn: Connection, site_id: int, email_hash: bytes, limit: int
) -> list[Comment]:
    rows = await conn.fetch(
        f"""SELECT {COMMENT_COLUMNS} FROM comments
             WHERE site_id = $1 AND email_hash = $2 AND status <> 'spam'
             ORDER BY created_at DESC, id DESC LIMIT $3""",
        site_id,
        email_hash,
        limit,
    )
    return [Comment.from_row(r) for r in rows]
