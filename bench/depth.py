"""Seeding the depth scenario: N comments by COPY (not the API), and the cursor of a deep page.

Shape (the same at every size): 90% of rows belong to the bench site, 10% to another site;
statuses 70% pending, 25% approved, 3% rejected, 2% spam; one thread ("depth/hot") has exactly
100 approved comments spread evenly through the table; the others share N/60 threads.
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from bodies import Body

HOT_THREAD = "depth/hot"
HOT_COMMENTS = 100
BATCH = 50_000
AUTHORS = 20_000
COLUMNS = (
    "site_id",
    "thread",
    "name",
    "email",
    "email_hash",
    "website",
    "body_text",
    "body_html",
    "body_dir",
    "name_dir",
    "renderer_version",
    "status",
    "reason",
    "decided_at",
    "client_ip",
    "created_at",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


THREAD_CURSORS = 5_000


@dataclass(frozen=True, slots=True)
class Seeded:
    rows: int
    seconds: float
    deep_position: int
    deep_cursor: str
    # Distinct cursors that all sit just before the hot thread's first comment: each reads the
    # whole thread through the keyset query, and none is answered from the service's page cache.
    thread_cursors: list[str]


def encode_cursor(at: datetime, row_id: int) -> str:
    """The service's cursor format (moderation/pagination.py), rebuilt here on purpose: the
    harness drives the public API and does not import the service."""
    import base64

    micros = (at - _EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{micros}.{row_id}".encode()).decode().rstrip("=")


def _render(body: Body) -> str:
    direction = "rtl" if body.language == "ar" else "ltr"
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in body.text.split("\n\n"))
    return f'<div dir="{direction}">{paragraphs}</div>'


def _status(i: int) -> str:
    r = i % 100
    return "pending" if r < 70 else "approved" if r < 95 else "rejected" if r < 98 else "spam"


def _rows(total: int, site_id: int, other_site_id: int, bodies: list[Body]) -> Iterator[tuple]:
    rendered = [(b, _render(b), "rtl" if b.language == "ar" else "ltr") for b in bodies]
    emails = [f"reader{a}@example.com" for a in range(AUTHORS)]
    hashes = [hashlib.sha256(e.encode()).digest() for e in emails]
    addresses = [ipaddress.ip_address(f"198.51.100.{a % 250 + 1}") for a in range(250)]
    hot_every = max(1, total // HOT_COMMENTS)
    threads = max(1, total // 60)
    start = datetime.now(UTC) - timedelta(seconds=total)  # one comment a second, oldest first
    for i in range(total):
        body, body_html, direction = rendered[i % len(rendered)]
        created = start + timedelta(seconds=i)
        if i % hot_every == 0 and i // hot_every < HOT_COMMENTS:
            # The k-th hot comment has the same text at every size: same page, same bytes.
            body, body_html, direction = rendered[i // hot_every]
            site, thread, status = site_id, HOT_THREAD, "approved"
        else:
            site = other_site_id if i % 10 == 9 else site_id
            thread, status = f"news/{(i * 7919) % threads}", _status(i)
        decided = None if status == "pending" else created + timedelta(minutes=10)
        reason = "spam" if status in ("rejected", "spam") else None
        author = (i * 31) % AUTHORS
        yield (
            site,
            thread,
            body.name,
            emails[author],
            hashes[author],
            body.website,
            body.text,
            body_html,
            direction,
            direction,
            1,
            status,
            reason,
            decided,
            addresses[i % 250],
            created,
        )


async def _secondary_indexes(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename = 'comments'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""
    )
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def seed(
    database_url: str, site: str, other_site: str, total: int, bodies: list[Body]
) -> Seeded:
    """Replace all comments with `total` new ones. The service's own secondary indexes are
    dropped for the COPY and rebuilt from their exact definitions (faster than maintaining
    them row by row), then the table is vacuumed and analysed as autovacuum would."""
    started = time.monotonic()
    conn = await asyncpg.connect(database_url)
    try:
        site_id = await conn.fetchval("SELECT id FROM sites WHERE slug = $1", site)
        other_id = await conn.fetchval("SELECT id FROM sites WHERE slug = $1", other_site)
        await conn.execute("TRUNCATE comments CASCADE")
        indexes = await _secondary_indexes(conn)
        for name, _ in indexes:
            await conn.execute(f'DROP INDEX "{name}"')
        rows = _rows(total, site_id, other_id, bodies)
        while True:
            batch = [row for _, row in zip(range(BATCH), rows, strict=False)]
            if not batch:
                break
            await conn.copy_records_to_table("comments", records=batch, columns=COLUMNS)
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            await conn.execute(definition)
        await conn.execute("VACUUM ANALYZE comments")
        position = total // 2
        row = await conn.fetchrow(
            """SELECT created_at, id FROM comments WHERE site_id = $1 AND status = 'pending'
                ORDER BY created_at, id OFFSET $2 LIMIT 1""",
            site_id,
            position,
        )
        first = await conn.fetchval(
            "SELECT min(created_at) FROM comments WHERE site_id = $1 AND thread = $2",
            site_id,
            HOT_THREAD,
        )
    finally:
        await conn.close()
    assert row is not None, "the pending queue is shorter than the deep position"
    before_first = [
        encode_cursor(first - timedelta(microseconds=k + 1), 0) for k in range(THREAD_CURSORS)
    ]
    return Seeded(
        total,
        time.monotonic() - started,
        position,
        encode_cursor(row["created_at"], row["id"]),
        before_first,
    )
