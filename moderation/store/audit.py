"""The append-only moderation audit: who decided what, when, and why."""

from __future__ import annotations

from ..domain import Actor, AuditEntry
from . import Connection

AUDIT_COLUMNS = "id, comment_id, actor, token_id, action, from_status, to_status, reason, note, at"


async def record(
    conn: Connection,
    actor: Actor,
    comment_id: int,
    *,
    action: str,
    from_status: str | None,
    to_status: str,
    reason: str | None,
    note: str | None,
    request_id: str | None,
    explanation: str | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO moderation_audit
               (site_id, comment_id, actor, token_id, action, from_status, to_status,
                reason, note, request_id, explanation)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        actor.site_id,
        comment_id,
        "system" if actor.is_system else "token",
        actor.token_id,
        action,
        from_status,
        to_status,
        reason,
        note,
        request_id,
        explanation,
    )


async def history(conn: Connection, site_id: int, comment_id: int) -> list[AuditEntry]:
    rows = await conn.fetch(
        f"""SELECT {AUDIT_COLUMNS} FROM moderation_audit
             WHERE site_id = $1 AND comment_id = $2 ORDER BY id""",
        site_id,
        comment_id,
    )
    return [AuditEntry(**dict(r)) for r in rows]
