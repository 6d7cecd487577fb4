"""EXPLAIN ANALYZE of the moderator queue (first page, and a page deep by cursor) and of a thread
read, on 1,000,000 comments: `.venv/bin/python bench/explain.py`. Uses BENCH_DATABASE_URL, else
the local PostgreSQL; creates and drops a database of its own, moderation_explain."""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from moderation.migrate import migrate
from moderation.store.comments import COMMENT_COLUMNS

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE = "moderation_explain"
ROWS = 1_000_000

SEED = """
INSERT INTO comments (site_id, thread, name, email, email_hash, body_text, body_html, body_dir,
                      name_dir, renderer_version, status, decided_at, created_at)
SELECT 1 + (g % 2), 'thread-' || (g % 5000), 'name', 'a@example.com', sha256(g::text::bytea),
       'body', '<div dir="ltr">body</div>', 'ltr', 'ltr', 1,
       (ARRAY['pending', 'approved', 'rejected'])[1 + g % 3],
       CASE WHEN g % 3 = 0 THEN NULL ELSE now() - make_interval(secs => g) END,
       now() - make_interval(secs => $1 - g)
  FROM generate_series(1, $1) g"""

QUEUE = f"""SELECT {COMMENT_COLUMNS} FROM comments WHERE site_id = $1 AND status = $2
             ORDER BY created_at ASC, id ASC LIMIT 51"""
QUEUE_AFTER = f"""SELECT {COMMENT_COLUMNS} FROM comments WHERE site_id = $1 AND status = $2
                   AND (created_at, id) > ($3, $4) ORDER BY created_at ASC, id ASC LIMIT 51"""
THREAD = f"""SELECT {COMMENT_COLUMNS} FROM comments
              WHERE site_id = $1 AND thread = $2 AND status = 'approved'
              ORDER BY created_at, id LIMIT 101"""


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def main() -> None:
    admin = await asyncpg.connect(SERVER)
    await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {DATABASE}")
    try:
        conn = await asyncpg.connect(with_database(SERVER, DATABASE))
        try:
            await migrate(conn)
            await conn.execute("INSERT INTO sites (slug, name) VALUES ('a', 'A'), ('b', 'B')")
            await conn.execute(SEED, ROWS)
            await conn.execute("ANALYZE")
            middle = await conn.fetchrow(
                """SELECT created_at, id FROM comments WHERE site_id = 1 AND status = 'pending'
                    ORDER BY created_at, id OFFSET 150000 LIMIT 1"""
            )
            plans = {
                "queue, first page": (QUEUE, 1, "pending"),
                "queue, 150,000 items deep (cursor)": (
                    QUEUE_AFTER,
                    1,
                    "pending",
                    middle["created_at"],
                    middle["id"],
                ),
                "thread read": (THREAD, 1, "thread-42"),
            }
            for name, (query, *args) in plans.items():
                plan = await conn.fetch(
                    "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + query, *args
                )
                print(f"-- {name}")
                print("\n".join(row[0] for row in plan))
        finally:
            await conn.close()
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
