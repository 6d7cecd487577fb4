"""What `moderation keys rotate` costs: seals ROWS comments written in the plain form of before
migration 0014, then re-seals them all under key id 2; and what one seal plus one open cost.
`.venv/bin/python bench/bench_rotate.py [ROWS]` (default 200,000). Uses BENCH_DATABASE_URL,
else the local PostgreSQL; creates and drops a database of its own, moderation_bench_rotate."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from moderation import service
from moderation.migrate import migrate
from moderation.sealing import Keyring, Place

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE = "moderation_bench_rotate"
SECRET = b"bench-secret-key-of-at-least-32-bytes!!"

SEED = """
INSERT INTO comments (site_id, thread, name, email, email_hash, body_text, body_html, body_dir,
                      name_dir, renderer_version, status, decided_at, created_at)
SELECT 1 + (g % 2), 'thread-' || (g % 5000), 'name', 'reader' || g || '@example.com',
       sha256(g::text::bytea), 'body', '<div dir="ltr">body</div>', 'ltr', 'ltr', 1,
       'approved', now(), now() - make_interval(secs => $1 - g)
  FROM generate_series(1, $1) g"""


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def main(rows: int) -> None:
    admin = await asyncpg.connect(SERVER)
    await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {DATABASE}")
    try:
        url = with_database(SERVER, DATABASE)
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            await conn.execute("INSERT INTO sites (slug, name) VALUES ('a', 'A'), ('b', 'B')")
            await conn.execute(SEED, rows)
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
        async with asyncpg.create_pool(url, min_size=1, max_size=2) as pool:
            for version, what in ((1, "plain → sealed"), (2, "key 1 → key 2")):
                started = time.perf_counter()
                done = await service.keys.rotate(pool, Keyring(SECRET, version), batch_size=500)
                seconds = time.perf_counter() - started
                [comments] = [d for d in done if d.place == "comments.email"]
                changed = comments.sealed + comments.resealed
                print(
                    f"{what}: {changed} comments in {seconds:.1f} s "
                    f"({changed / seconds:,.0f} rows/s, batches of 500), "
                    f"remaining {comments.remaining}"
                )
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.close()
    keys = Keyring(SECRET, 1)
    n = 20_000
    started = time.perf_counter()
    for i in range(n):
        sealed = keys.seal(Place.COMMENT_EMAIL, 1, f"reader{i}@example.com")
        keys.open(Place.COMMENT_EMAIL, 1, sealed)
    print(f"one seal + one open: {(time.perf_counter() - started) / n * 1e6:.1f} µs")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000))
