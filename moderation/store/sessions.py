"""Console sessions SQL: a cookie's hash stands for a token until it expires or is revoked."""

from __future__ import annotations

from ..domain import Actor, ConsoleSession, Role
from . import Connection


async def insert(
    conn: Connection,
    actor: Actor,
    session_hash: bytes,
    csrf_token: str,
    lifetime_seconds: float,
) -> int:
    return int(
        await conn.fetchval(
            """INSERT INTO console_sessions (site_id, token_id, session_hash, csrf_token,
                                             expires_at)
               VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
               RETURNING id""",
            actor.site_id,
            actor.token_id,
            session_hash,
            csrf_token,
            lifetime_seconds,
        )
    )


async def live_by_hash(conn: Connection, session_hash: bytes) -> ConsoleSession | None:
    """The session, unless it expired, was ended, or its token was revoked."""
    row = await conn.fetchrow(
        """SELECT cs.id, cs.csrf_token, cs.expires_at, t.id AS token_id, t.site_id, t.role,
                  s.slug
             FROM console_sessions cs
             JOIN tokens t ON t.id = cs.token_id
             JOIN sites s ON s.id = t.site_id
            WHERE cs.session_hash = $1 AND cs.ended_at IS NULL AND cs.expires_at > now()
              AND t.revoked_at IS NULL""",
        session_hash,
    )
    if row is None:
        return None
    actor = Actor(
        site_id=row["site_id"],
        site_slug=row["slug"],
        role=Role(row["role"]),
        token_id=row["token_id"],
    )
    return ConsoleSession(row["id"], actor, row["csrf_token"], row["expires_at"])


async def end(conn: Connection, session_id: int) -> None:
    await conn.execute(
        "UPDATE console_sessions SET ended_at = now() WHERE id = $1 AND ended_at IS NULL",
        session_id,
    )
