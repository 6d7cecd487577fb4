"""How many webhook deliveries per second one dispatcher sends to a local receiver answering 200.

    .venv/bin/python bench/bench_webhooks.py [--deliveries 5000] [--concurrency 100]

Uses BENCH_DATABASE_URL (or TEST_DATABASE_URL, or postgresql://postgres@127.0.0.1:5432/postgres)
to (re)create the database `moderation_bench_webhooks`; starts bench/receiver.py as its own
process; queues the deliveries the way the outbox writes them; then times one in-process
Dispatcher from its start until none is pending. Per-attempt log lines are rendered as JSON (as
in production) and written to /dev/null.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import structlog

from moderation.config import Settings
from moderation.db import create_pool
from moderation.logs import configure_logging
from moderation.metrics import Metrics
from moderation.migrate import migrate
from moderation.webhooks import signing
from moderation.webhooks.dispatcher import Dispatcher

DATABASE = "moderation_bench_webhooks"
HERE = Path(__file__).resolve().parent


def server_url() -> str:
    return (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def receiver_stats(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def start_receiver(port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, str(HERE / "receiver.py"), "--port", str(port)])
    deadline = time.monotonic() + 10
    while True:
        try:
            receiver_stats(port)
            return process
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


async def prepare(url: str, receiver: str, count: int) -> str:
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    database_url = urlunsplit(urlsplit(url)._replace(path=f"/{DATABASE}"))
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
        site_id = await conn.fetchval(
            "INSERT INTO sites (slug, name, origins) VALUES ('bench', 'Bench', '{}') RETURNING id"
        )
        await conn.execute(
            """INSERT INTO webhook_endpoints (site_id, url, events, secret)
               VALUES ($1, $2, $3, $4)""",
            site_id,
            receiver,
            ["comment.created", "comment.approved", "comment.rejected"],
            signing.new_secret(),
        )
        event = {
            "type": "comment.approved",
            "timestamp": "2026-01-01T00:00:00Z",
            "data": {
                "id": "1",
                "site": "bench",
                "thread": "politics/2026/elections",
                "name": "سارة أحمد",
                "body_html": '<div dir="rtl"><p>' + "ن" * 500 + "</p></div>",
                "status": "approved",
                "reason": None,
            },
        }
        await conn.execute(
            """INSERT INTO webhook_deliveries (site_id, endpoint_id, msg_id, event_type, body,
                                               next_attempt_at)
               SELECT e.site_id, e.id, 'msg_' || md5(g::text), 'comment.approved', $2, now()
                 FROM webhook_endpoints e, generate_series(1, $1) g""",
            count,
            json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        )
        await conn.execute("VACUUM ANALYZE webhook_deliveries")
    finally:
        await conn.close()
    return database_url


async def measure(database_url: str, count: int, concurrency: int) -> dict[str, float]:
    settings = Settings(
        database_url=database_url,
        webhook_allow_private=True,
        webhook_concurrency=concurrency,
        # One endpoint here: measure the dispatcher, not the per-endpoint fairness cap.
        webhook_endpoint_concurrency=concurrency,
        pool_min_size=2,
    )
    async with create_pool(settings) as pool:
        stop = asyncio.Event()
        dispatcher = Dispatcher(pool, settings, metrics=Metrics.create())
        cpu, started = time.process_time(), time.perf_counter()
        task = asyncio.create_task(dispatcher.run(stop))
        while True:  # the database is the judge of "delivered"
            pending = await pool.fetchval(
                "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'"
            )
            if not pending:
                break
            await asyncio.sleep(0.05)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        stop.set()
        await task
        succeeded = await pool.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"
        )
    return {"elapsed": elapsed, "cpu": cpu, "succeeded": succeeded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=5_000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    configure_logging(as_json=True)
    structlog.configure(logger_factory=structlog.WriteLoggerFactory(open(os.devnull, "w")))  # noqa: SIM115

    port = free_port()
    receiver = start_receiver(port)
    try:
        database_url = asyncio.run(
            prepare(server_url(), f"http://127.0.0.1:{port}/hook", args.deliveries)
        )
        result = asyncio.run(measure(database_url, args.deliveries, args.concurrency))
        stats = receiver_stats(port)
    finally:
        receiver.terminate()
        receiver.wait()
    span = (stats["last"] or 0) - (stats["first"] or 0)
    print(
        f"{int(result['succeeded']):,}/{args.deliveries:,} delivered by one dispatcher "
        f"(concurrency {args.concurrency}) in {result['elapsed']:.2f} s: "
        f"{result['succeeded'] / result['elapsed']:,.0f} deliveries/s end to end "
        f"(claim → send → recorded); receiver saw {int(stats['received']):,} in {span:.2f} s "
        f"({stats['received'] / span if span else 0:,.0f}/s); dispatcher CPU "
        f"{result['cpu'] / max(result['succeeded'], 1) * 1e6:,.0f} µs/delivery"
    )


if __name__ == "__main__":
    main()
