"""The retention sweep on a big table (issue 13): its cost, and whether reads and ingest keep
their speed while it runs.

    .venv/bin/python bench/bench_retention.py [--comments 1000000] [--seconds 15] [--quick]

Uses BENCH_DATABASE_URL (or TEST_DATABASE_URL, or postgresql://postgres@127.0.0.1:5432/postgres)
to (re)create the database `moderation_bench_retention` (dropped at the end unless --keep), and
wrk for the HTTP load.

1. Seed by COPY: `--comments` comments over the last 120 days on two sites (90% / 10%), from
   200,000 authors; 80% approved, 8% pending, 6% rejected, 4% spam, 2% unverified; every one
   with an IP address. Also 100,000 webhook deliveries and 50,000 mails (90–95% finished,
   each with one attempt), spread over the same 120 days. With the default schedule plus
   retain_email_days = 60 on the main site, about three quarters of the IP addresses are due,
   and a share of each other kind (the counts are printed before the sweep).
2. `moderation serve` (its own sweeper off) on a loopback port. Baseline: a wrk run of thread
   reads (2,000 threads, a page size the page cache does not keep, so each read is a query),
   then one of ingest (POSTs, each its own author and client network).
3. The same two wrk runs again while one sweep (service.retention.sweep, in this process) runs
   to completion over every site; pg_stat_activity is sampled every 50 ms for sessions waiting
   on a lock. Printed: rows purged by kind, wall time, rows/s, the slowest batch (one
   transaction), the longest lock wait seen, and each load's requests/s with and without the
   sweep, as a ratio; the loads run a third time after the sweep (before and after bracket it).
4. Steady state: one more sweep as if a day had passed (what a day brings due), timed alone.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import ipaddress
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import aiohttp
import asyncpg
import loadgen
import workload
from bodies import Body, make_bodies
from database import drop, recreate
from depth import COLUMNS
from ours import Moderation

from moderation import service

DATABASE = "moderation_bench_retention"
SITE, OTHER = "bench", "bench-other"
DAYS = 120
AUTHORS = 200_000
READ_THREADS = 2_000
READ_LIMIT = 37  # not a page size the service's page cache keeps: every read is a query
CONNECTIONS = 16


def server_url() -> str:
    return (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def _status(r: int) -> str:
    if r < 80:
        return "approved"
    if r < 88:
        return "pending"
    if r < 94:
        return "rejected"
    return "spam" if r < 98 else "unverified"


def comment_rows(total: int, sites: tuple[int, int], bodies: list[Body]) -> Iterator[tuple]:
    rng = random.Random(2026)
    now = datetime.now(UTC)
    step = timedelta(days=DAYS) / total
    networks = [ipaddress.ip_address(f"198.51.{a // 250}.{a % 250 + 1}") for a in range(10_000)]
    for i in range(total):
        body = bodies[i % len(bodies)]
        direction = "rtl" if body.language == "ar" else "ltr"
        created = now - timedelta(days=DAYS) + step * i
        status = _status(rng.randrange(100))
        author = rng.randrange(AUTHORS)
        email = f"reader{author}@example.com"
        yield (
            sites[1] if i % 10 == 9 else sites[0],
            f"news/{(i * 7919) % (total // 60 + 1)}",
            body.name,
            email,
            hashlib.sha256(email.encode()).digest(),
            body.website,
            body.text,
            f'<p dir="{direction}">{body.text}</p>',
            direction,
            direction,
            1,
            status,
            None if status in ("approved", "pending", "unverified") else "spam",
            None if status in ("pending", "unverified") else created + timedelta(minutes=10),
            networks[i % len(networks)],
            created,
        )


async def seed(database_url: str, total: int, deliveries: int, mails: int) -> dict[str, float]:
    """COPY the comments (secondary indexes dropped, then rebuilt as they were), deliveries and
    mails with their attempts; VACUUM ANALYZE. Returns the seconds each part took."""
    conn = await asyncpg.connect(database_url)
    timings = {}
    try:
        ids = tuple(
            [
                await conn.fetchval("SELECT id FROM sites WHERE slug = $1", slug)
                for slug in (SITE, OTHER)
            ]
        )
        started = time.monotonic()
        indexes = await conn.fetch(
            """SELECT indexname, indexdef FROM pg_indexes
                WHERE schemaname = 'public' AND tablename = 'comments'
                  AND indexname NOT IN (SELECT conname FROM pg_constraint)"""
        )
        for row in indexes:
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        rows = comment_rows(total, ids, make_bodies(500))
        while batch := [r for _, r in zip(range(50_000), rows, strict=False)]:
            await conn.copy_records_to_table("comments", records=batch, columns=COLUMNS)
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for row in indexes:
            await conn.execute(row["indexdef"])
        timings["comments"] = time.monotonic() - started

        started = time.monotonic()
        endpoint = await conn.fetchval(
            """INSERT INTO webhook_endpoints (site_id, url, events, secret)
               VALUES ($1, 'https://hooks.example/in', '{comment.created}', 'whsec_bench')
               RETURNING id""",
            ids[0],
        )
        now = datetime.now(UTC)
        rng = random.Random(7)

        def finished(i: int, n: int, pending_every: int) -> tuple[datetime, datetime | None]:
            created = now - timedelta(days=DAYS) + timedelta(days=DAYS) / n * i
            return created, None if i % pending_every == 0 else created + timedelta(seconds=1)

        records = []
        for i in range(deliveries):
            created, done = finished(i, deliveries, 20)
            status = (
                "pending" if done is None else ("failed" if rng.random() < 0.05 else "succeeded")
            )
            records.append(
                (ids[0], endpoint, str(uuid.uuid4()), "comment.created",
                 f'{{"type":"comment.created","data":{{"id":"{i}"}}}}', status, 1, created, done)
            )  # fmt: skip
        await conn.copy_records_to_table(
            "webhook_deliveries",
            records=records,
            columns=("site_id", "endpoint_id", "msg_id", "event_type", "body", "status",
                     "attempts", "created_at", "completed_at"),
        )  # fmt: skip
        records = []
        for i in range(mails):
            created, done = finished(i, mails, 20)
            email = f"reader{i % AUTHORS}@example.com"
            records.append(
                (ids[0], "confirm", email, hashlib.sha256(email.encode()).digest(),
                 f"<{uuid.uuid4()}@bench>", "تأكيد العنوان", b"x" * 2000,
                 "pending" if done is None else "sent", 1, created, done)
            )  # fmt: skip
        await conn.copy_records_to_table(
            "mail_outbox",
            records=records,
            columns=("site_id", "kind", "recipient", "recipient_hash", "message_id", "subject",
                     "message", "status", "attempts", "created_at", "completed_at"),
        )  # fmt: skip
        await conn.execute(
            """INSERT INTO webhook_attempts (site_id, delivery_id, attempt, at, status_code,
                                             duration_ms)
               SELECT site_id, id, 1, completed_at, 200, 5 FROM webhook_deliveries
                WHERE status <> 'pending';
               INSERT INTO mail_attempts (site_id, mail_id, attempt, at, smtp_code, duration_ms)
               SELECT site_id, id, 1, completed_at, 250, 5 FROM mail_outbox
                WHERE status <> 'pending'"""
        )
        timings["outboxes"] = time.monotonic() - started
        started = time.monotonic()
        await conn.execute("VACUUM ANALYZE")
        timings["vacuum"] = time.monotonic() - started
    finally:
        await conn.close()
    return timings


class LockWatch:
    """Samples pg_stat_activity: the longest any session of the database waited on a lock."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.longest = 0.0
        self.waiting_samples = 0
        self.samples = 0

    async def run(self, stop: asyncio.Event) -> None:
        conn = await asyncpg.connect(self.database_url)
        try:
            while not stop.is_set():
                waits = await conn.fetch(
                    """SELECT extract(epoch FROM now() - state_change)::float8 AS waited
                         FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'"""
                )
                self.samples += 1
                if waits:
                    self.waiting_samples += 1
                    self.longest = max(self.longest, *(w["waited"] for w in waits))
                await asyncio.sleep(0.05)
        finally:
            await conn.close()


def loads(base_dir: Path) -> dict[str, tuple[str, Path]]:
    rng = random.Random(11)
    threads = [f"news/{rng.randrange(5_000)}" for _ in range(READ_THREADS)]
    reads = [
        (f"/v1/sites/{SITE}/comments?thread={quote(t, safe='')}&limit={READ_LIMIT}",)
        for t in threads
    ]
    posts = workload.ours_posts(SITE, make_bodies(200, seed=99))
    return {
        "thread reads": ("get.lua", workload.write_lua_data(base_dir / "reads.lua", reads)),
        "ingest": (
            "post.lua",
            workload.write_lua_data(
                base_dir / "posts.lua",
                posts,
                headers={"Content-Type": "application/json"},
                unique=True,
                forwarded=True,
            ),
        ),
    }


def run_loads(
    base: str, plan: dict[str, tuple[str, Path]], seconds: float, run: str
) -> dict[str, loadgen.WrkResult]:
    return {
        name: loadgen.run(
            base + "/",
            script,
            data,
            seconds=seconds,
            connections=CONNECTIONS,
            pin=[],
            run_id=f"{run}{i}",
        )
        for i, (name, (script, data)) in enumerate(plan.items())
    }


async def main(args: argparse.Namespace) -> None:
    loadgen.require_wrk()
    database_url = await recreate(server_url(), DATABASE)
    work = Path(tempfile.mkdtemp(prefix="bench-retention-"))
    moderation = Moderation(database_url, work)
    moderation.env["MODERATION_RETENTION_INTERVAL"] = "0"  # the bench runs the sweep itself
    tokens = moderation.prepare([SITE, OTHER])
    print(f"seeding {args.comments:,} comments …", flush=True)
    timings = await seed(database_url, args.comments, args.deliveries, args.mails)
    print("seeded in " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()), flush=True)

    moderation.start([])
    try:
        headers = {"Authorization": f"Bearer {tokens.admin}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            settings = {"flood_seconds": 0, "hourly_limit": 100_000, "retain_email_days": 60}
            url = f"{moderation.base}/v1/sites/{SITE}/settings"
            async with http.patch(url, json=settings) as response:
                assert response.status == 200, await response.text()
        pool = await asyncpg.create_pool(database_url, min_size=2, max_size=4)
        assert pool is not None
        due = await service.retention.sweep(pool, dry_run=True)
        print(f"due before the sweep: {due}", flush=True)

        plan = loads(work)
        before = await asyncio.to_thread(run_loads, moderation.base, plan, args.seconds, "1")

        batches: list[tuple[str, int, float]] = []
        stop = asyncio.Event()
        watch = LockWatch(database_url)
        watcher = asyncio.create_task(watch.run(stop))
        started = time.monotonic()
        sweeping = asyncio.create_task(
            service.retention.sweep(pool, observe=lambda k, n, s: batches.append((k, n, s)))
        )
        during = await asyncio.to_thread(run_loads, moderation.base, plan, args.seconds, "2")
        load_end = time.monotonic() - started
        purged = await sweeping
        wall = time.monotonic() - started
        stop.set()
        await watcher
        after = await asyncio.to_thread(run_loads, moderation.base, plan, args.seconds, "3")
        # Steady state: what one more day brings due, swept without load (the sweeper's round
        # every few minutes sees a fraction of this).
        day_started = time.monotonic()
        next_day = await service.retention.sweep(pool, now=datetime.now(UTC) + timedelta(days=1))
        day_wall = time.monotonic() - day_started
        await pool.close()
    finally:
        moderation.stop()
        if not args.keep:
            await drop(server_url(), DATABASE)

    rows = sum(sum(kinds.values()) for kinds in purged.values())
    slowest = max(batches, key=lambda b: b[2]) if batches else ("-", 0, 0.0)
    print()
    print(f"comments seeded: {args.comments:,}  (machine: {os.cpu_count()} cores, shared)")
    print(f"purged by site and kind: {purged}")
    print(
        f"sweep: {rows:,} rows in {wall:.1f} s = {rows / wall:,.0f} rows/s; {len(batches)} "
        f"batches; slowest batch {slowest[2] * 1000:.0f} ms ({slowest[0]}, {slowest[1]} rows)"
    )
    print(
        f"lock waits (any session, sampled every 50 ms): longest {watch.longest * 1000:.0f} ms, "
        f"seen in {watch.waiting_samples} of {watch.samples} samples"
    )
    day_rows = sum(sum(kinds.values()) for kinds in next_day.values())
    print(f"one day later (steady state, no load): {day_rows:,} rows in {day_wall:.1f} s")
    overlap = min(1.0, wall / load_end) if load_end else 0.0
    print(f"the sweep covered {overlap:.0%} of the loaded period ({load_end:.0f} s)")
    for name in plan:
        a, b, c = before[name], during[name], after[name]
        print(
            f"{name:13} before {a.rps:6.0f} req/s (p99 {a.p99_ms:5.1f} ms) | during the sweep "
            f"{b.rps:6.0f} (p99 {b.p99_ms:5.1f}) | after {c.rps:6.0f} (p99 {c.p99_ms:5.1f}) | "
            f"during / mean(before, after) = {b.rps / ((a.rps + c.rps) / 2):.2f}"
        )
        errors = a.non_2xx_3xx + b.non_2xx_3xx + c.non_2xx_3xx
        if errors:
            print(f"{'':13} non-2xx answers: {errors}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--mails", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=15.0, help="each wrk run")
    parser.add_argument("--quick", action="store_true", help="100,000 comments, 5 s loads")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if args.quick:
        args.comments, args.deliveries, args.mails, args.seconds = 100_000, 10_000, 5_000, 5.0
    asyncio.run(main(args))


if __name__ == "__main__":
    cli()
