"""EXPLAIN ANALYZE of the transparency report's aggregates (GET /v1/sites/{site}/transparency)
on 1,000,000 comments and 100,000 reports of one site over a year, with their audit rows,
statements of reasons and appeals:
`.venv/bin/python bench/bench_transparency.py`. Uses BENCH_DATABASE_URL, else the local
PostgreSQL; creates and drops a database of its own, moderation_bench_transparency."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from moderation.migrate import migrate
from moderation.store.transparency import AGGREGATES

SERVER = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATABASE = "moderation_bench_transparency"
YEAR = 365 * 86_400

# Site 1 is measured; site 2 holds as many rows again, so the plans must filter by site.
COMMENTS = """
INSERT INTO comments (site_id, thread, name, email, email_hash, body_text, body_html, body_dir,
                      name_dir, renderer_version, status, reason, decided_at, created_at)
SELECT 1 + (g % 2), 'thread-' || (g % 5000), 'name', 'a@example.com', sha256(g::text::bytea),
       'body', '<div dir="ltr">body</div>', 'ltr', 'ltr', 1,
       (ARRAY['approved', 'approved', 'approved', 'rejected', 'pending'])[1 + g % 5],
       CASE WHEN g % 5 = 3 THEN (ARRAY['spam', 'banned_term', 'harassment'])[1 + g % 3] END,
       CASE WHEN g % 5 < 4 THEN $2::timestamptz + make_interval(secs => g % $3 + 600) END,
       $2::timestamptz + make_interval(secs => g % $3)
  FROM generate_series(1, $1) g"""

# One audit row per decided comment: rejections by the word rule are the system's.
AUDIT = """
INSERT INTO moderation_audit (site_id, comment_id, actor, token_id, action, from_status,
                              to_status, reason, at)
SELECT c.site_id, c.id, CASE WHEN c.reason = 'banned_term' THEN 'system' ELSE 'token' END,
       CASE WHEN c.reason = 'banned_term' THEN NULL ELSE t.id END,
       CASE WHEN c.status = 'approved' THEN 'approve' ELSE 'reject' END, 'pending', c.status,
       c.reason, c.decided_at
  FROM comments c JOIN tokens t ON t.site_id = c.site_id
 WHERE c.decided_at IS NOT NULL"""

# Reports of approved comments: one case per 2 reports, 9 in 10 cases resolved.
CASES = """
INSERT INTO report_cases (site_id, comment_id, status, reporters, categories, queued_at,
                          first_report_at, last_report_at, action, reason, resolved_at)
SELECT site_id, id, CASE WHEN n % 10 = 0 THEN 'open' ELSE 'resolved' END, 2,
       ARRAY['spam'], created_at + interval '1 hour', created_at + interval '1 hour',
       created_at + interval '2 hours',
       CASE WHEN n % 10 = 0 THEN NULL WHEN n % 3 = 0 THEN 'remove' ELSE 'keep' END,
       CASE WHEN n % 10 <> 0 AND n % 3 = 0 THEN 'harassment' END,
       CASE WHEN n % 10 <> 0 THEN created_at + make_interval(secs => 3600 + n % 86400) END
  FROM (SELECT site_id, id, created_at, row_number() OVER (ORDER BY id) AS n
          FROM comments WHERE status = 'approved' ORDER BY id LIMIT $1) chosen"""

REPORTS = """
INSERT INTO reports (site_id, reference, case_id, comment_id, category, reporter_hash,
                     network_hash, created_at)
SELECT k.site_id, 'R-' || left(md5(k.id || ':' || r), 16), k.id, k.comment_id,
       (ARRAY['illegal_content', 'hate_speech', 'harassment', 'violence_or_threat', 'privacy',
              'misinformation', 'spam', 'other'])[1 + (k.id + r) % 8],
       sha256((k.id || ':' || r)::bytea), sha256((k.id || ':' || r)::bytea),
       k.first_report_at + make_interval(secs => r * 60)
  FROM report_cases k CROSS JOIN generate_series(1, 2) r"""

# A statement of reasons for each rejection (after a notice for the removals), and an appeal
# against one statement in twenty, a third of them still open.
STATEMENTS = """
INSERT INTO statements (site_id, puid, comment_id, decision, reason, automated_detection,
                        automated_decision, facts, created_at)
SELECT site_id, 'bench-' || id, id, 'rejected', reason, reason = 'banned_term',
       'AUTOMATED_DECISION_NOT_AUTOMATED',
       jsonb_build_object('source_type', CASE WHEN id % 7 = 0 THEN 'SOURCE_ARTICLE_16'
                                              ELSE 'SOURCE_VOLUNTARY' END, 'puid', 'bench-' || id),
       decided_at
  FROM comments WHERE status = 'rejected'"""

APPEALS = """
INSERT INTO appeals (site_id, statement_id, comment_id, body, status, outcome, created_at)
SELECT site_id, id, comment_id, 'appeal', CASE WHEN id % 3 = 0 THEN 'open' ELSE 'decided' END,
       CASE WHEN id % 3 = 1 THEN 'upheld' WHEN id % 3 = 2 THEN 'reversed' END,
       created_at + interval '1 day'
  FROM statements WHERE id % 20 = 0"""


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def timed(conn: asyncpg.Connection, label: str, sql: str, *args: object) -> None:
    started = time.perf_counter()
    await conn.execute(sql, *args)
    print(f"-- {label}: {time.perf_counter() - started:.1f} s", flush=True)


async def main(comments: int, reports: int, keep: bool) -> None:
    admin = await asyncpg.connect(SERVER)
    await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE {DATABASE}")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        conn = await asyncpg.connect(with_database(SERVER, DATABASE))
        try:
            await migrate(conn)
            await conn.execute("INSERT INTO sites (slug, name) VALUES ('a', 'A'), ('b', 'B')")
            await conn.execute(
                """INSERT INTO tokens (site_id, role, token_hash, prefix)
                   VALUES (1, 'moderator', sha256('a'::bytea), 'a'),
                          (2, 'moderator', sha256('b'::bytea), 'b')"""
            )
            # Both sites get as many rows: twice the volume, half of it measured.
            await timed(conn, "comments", COMMENTS, 2 * comments, start, YEAR)
            await timed(conn, "audit", AUDIT)
            await timed(conn, "report cases", CASES, reports)  # 2 reports each, both sites
            await timed(conn, "reports", REPORTS)
            await timed(conn, "statements", STATEMENTS)
            await timed(conn, "appeals", APPEALS)
            await conn.execute("ANALYZE")
            counts = await conn.fetchrow(
                """SELECT (SELECT count(*) FROM comments WHERE site_id = 1) AS comments,
                          (SELECT count(*) FROM reports WHERE site_id = 1) AS reports,
                          (SELECT count(*) FROM moderation_audit WHERE site_id = 1) AS audit,
                          (SELECT count(*) FROM statements WHERE site_id = 1) AS statements,
                          (SELECT count(*) FROM appeals WHERE site_id = 1) AS appeals"""
            )
            print(f"site 1: {dict(counts)}")
            end = datetime(2027, 1, 1, tzinfo=UTC)
            total = 0.0
            for name, sql in AGGREGATES.items():
                plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", 1, start, end)
                lines = [r[0] for r in plan]
                took = float(lines[-1].split(":")[1].split()[0])
                total += took
                print(f"\n== {name}: {took:.1f} ms (whole year)\n" + "\n".join(lines))
            print(f"\nall {len(AGGREGATES)} aggregates, whole year: {total:.1f} ms")
        finally:
            await conn.close()
    finally:
        if not keep:
            await admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--comments", type=int, default=1_000_000, help="per site")
    parser.add_argument("--reports", type=int, default=100_000, help="per site")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()
    asyncio.run(main(options.comments, options.reports, options.keep))
