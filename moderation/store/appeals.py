"""Statements of reasons (immutable once written) and the appeals against them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain import Appeal, AppealOutcome, AppealStatus, Statement
from ..pagination import Cursor
from . import Connection

STATEMENT_COLUMNS = """site_id, id, puid, comment_id, decision, reason, explanation,
    legal_ground, decided_by, automated_detection, automated_decision, facts, created_at"""
APPEAL_FIELDS = """site_id, id, statement_id, comment_id, body, status, outcome, explanation,
    decided_by, decided_at, created_at"""
APPEAL_COLUMNS = ", ".join(f"a.{name.strip()}" for name in APPEAL_FIELDS.split(","))


@dataclass(frozen=True, slots=True)
class NewStatement:
    site_id: int
    puid: str
    comment_id: int
    decision: str
    reason: str | None
    explanation: str | None
    legal_ground: str | None
    decided_by: int | None
    automated_detection: bool
    automated_decision: str
    facts: dict[str, Any]


async def insert_statement(conn: Connection, new: NewStatement) -> Statement:
    row = await conn.fetchrow(
        f"""INSERT INTO statements (site_id, puid, comment_id, decision, reason, explanation,
                legal_ground, decided_by, automated_detection, automated_decision, facts)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            RETURNING {STATEMENT_COLUMNS}""",
        new.site_id,
        new.puid,
        new.comment_id,
        new.decision,
        new.reason,
        new.explanation,
        new.legal_ground,
        new.decided_by,
        new.automated_detection,
        new.automated_decision,
        new.facts,
    )
    return Statement.from_row(row)


async def statement(conn: Connection, site_id: int, statement_id: int) -> Statement | None:
    row = await conn.fetchrow(
        f"SELECT {STATEMENT_COLUMNS} FROM statements WHERE site_id = $1 AND id = $2",
        site_id,
        statement_id,
    )
    return None if row is None else Statement.from_row(row)


async def insert_appeal(
    conn: Connection, site_id: int, statement_id: int, comment_id: int, body: str
) -> Appeal | None:
    """None when the decision was appealed already (one appeal per statement)."""
    row = await conn.fetchrow(
        f"""INSERT INTO appeals (site_id, statement_id, comment_id, body)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (site_id, statement_id) DO NOTHING
            RETURNING {APPEAL_FIELDS}""",
        site_id,
        statement_id,
        comment_id,
        body,
    )
    return None if row is None else Appeal.from_row(row)


async def appeal_of(conn: Connection, site_id: int, statement_id: int) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM appeals WHERE site_id = $1 AND statement_id = $2)",
            site_id,
            statement_id,
        )
    )


async def appeal(conn: Connection, site_id: int, appeal_id: int) -> Appeal | None:
    row = await conn.fetchrow(
        f"SELECT {APPEAL_COLUMNS} FROM appeals a WHERE a.site_id = $1 AND a.id = $2",
        site_id,
        appeal_id,
    )
    return None if row is None else Appeal.from_row(row)


async def decide_appeal(
    conn: Connection,
    site_id: int,
    appeal_id: int,
    outcome: AppealOutcome,
    explanation: str | None,
    token_id: int | None,
) -> Appeal | None:
    """Guarded: only an open appeal is decided; None otherwise."""
    row = await conn.fetchrow(
        f"""UPDATE appeals AS a
               SET status = 'decided', outcome = $3, explanation = $4, decided_by = $5,
                   decided_at = now()
             WHERE a.site_id = $1 AND a.id = $2 AND a.status = 'open'
         RETURNING {APPEAL_COLUMNS}""",
        site_id,
        appeal_id,
        outcome.value,
        explanation,
        token_id,
    )
    return None if row is None else Appeal.from_row(row)


async def appeals_page(
    conn: Connection, site_id: int, status: AppealStatus, after: Cursor | None, limit: int
) -> list[tuple[Appeal, Statement]]:
    """Open appeals oldest first; decided ones newest decision first."""
    open_ = status == AppealStatus.OPEN
    key = "a.created_at" if open_ else "a.decided_at"
    compare, order = (">", "ASC") if open_ else ("<", "DESC")
    args: list[object] = [site_id, status.value, limit]
    after_clause = ""
    if after is not None:
        args.extend([after.at, after.id])
        after_clause = f"AND ({key}, a.id) {compare} ($4, $5)"
    rows = await conn.fetch(
        f"""SELECT {APPEAL_COLUMNS}, s.puid, s.decision, s.reason AS s_reason,
                   s.explanation AS s_explanation, s.legal_ground, s.decided_by AS s_decided_by,
                   s.automated_detection, s.automated_decision, s.facts, s.created_at AS s_at
              FROM appeals a
              JOIN statements s ON s.site_id = a.site_id AND s.id = a.statement_id
             WHERE a.site_id = $1 AND a.status = $2 {after_clause}
             ORDER BY {key} {order}, a.id {order} LIMIT $3""",
        *args,
    )
    return [
        (
            Appeal.from_row(r),
            Statement.from_row(
                {
                    "site_id": r["site_id"],
                    "id": r["statement_id"],
                    "puid": r["puid"],
                    "comment_id": r["comment_id"],
                    "decision": r["decision"],
                    "reason": r["s_reason"],
                    "explanation": r["s_explanation"],
                    "legal_ground": r["legal_ground"],
                    "decided_by": r["s_decided_by"],
                    "automated_detection": r["automated_detection"],
                    "automated_decision": r["automated_decision"],
                    "facts": r["facts"],
                    "created_at": r["s_at"],
                }
            ),
        )
        for r in rows
    ]
