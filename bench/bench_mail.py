"""Mails per second one sender sustains to a local SMTP server, and the time from a mail's
commit to its arrival at the server.

    .venv/bin/python bench/bench_mail.py [--mails 2000] [--connections 4] [--latency-mails 200]
                                         [--decisions 100]

Uses BENCH_DATABASE_URL (or TEST_DATABASE_URL, or postgresql://postgres@127.0.0.1:5432/postgres)
to (re)create the database `moderation_bench_mail`. An aiosmtpd server runs as its own process
on a free loopback port and writes each arrival's Message-ID and time to a file.

1. Throughput: `--mails` Arabic mails (quoting a comment) are queued through the real
   `queue_mail`, then one in-process sender is timed from its start until none is pending
   (it composes each mail from its draft, then sends it).
2. Latency: with the sender idle and listening, `--latency-mails` mails are queued one per
   transaction, 20 ms apart; each arrival time minus its commit time, median and 95th centile.
3. Decision → mail (issue 11): the real app (`create_app`, its own sender inside) on a loopback
   port; `--decisions` comments are posted over HTTP to a site that sends statements of reasons
   to every author, then rejected over HTTP one by one, 20 ms apart; each statement mail's
   arrival minus the time the reject's 200 came back (the decision was committed before).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import structlog
from aiohttp import web

from moderation import service
from moderation.app import create_app
from moderation.config import Settings
from moderation.db import create_pool
from moderation.domain import Language, Role, Site, SiteSettings, StatementPolicy
from moderation.logs import configure_logging
from moderation.mail.compose import Quote
from moderation.mail.outbox import queue_mail
from moderation.mail.relay import SmtpRelay
from moderation.mail.sender import MailSender, transport_for
from moderation.metrics import Metrics
from moderation.migrate import migrate

DATABASE = "moderation_bench_mail"
SECRET = b"bench-secret-key-of-at-least-32-bytes!!"
BODY = "<p>" + "رأيي أن المقال دقيق ومفيد، شكراً للكاتب. " * 8 + "</p>"
SERVER = """
import asyncio, sys, time
from email.parser import BytesHeaderParser
from aiosmtpd.smtp import SMTP
out = open(sys.argv[2], "a", buffering=1)
class Handler:
    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser().parsebytes(envelope.original_content or envelope.content)
        out.write(f"{headers['Message-ID']} {time.time()}\\n")
        return "250 OK"
async def main():
    loop = asyncio.get_running_loop()
    port = int(sys.argv[1])
    server = await loop.create_server(lambda: SMTP(Handler(), loop=loop), "127.0.0.1", port)
    await server.serve_forever()
asyncio.run(main())
"""


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


def start_smtp_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(log)])
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)


def arrivals(log: Path) -> dict[str, float]:
    lines = log.read_text(encoding="ascii").split("\n")
    return {m: float(t) for m, t in (line.split(" ") for line in lines if line)}


async def prepare(url: str) -> tuple[str, Site]:
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
            "INSERT INTO sites (slug, name, origins) VALUES ('bench', 'أخبار', '{}') RETURNING id"
        )
    finally:
        await conn.close()
    settings = SiteSettings(language=Language.AR, public_url="https://news.example/")
    return database_url, Site(site_id, "bench", "أخبار", (), settings)


async def queue(pool: asyncpg.Pool, settings: Settings, site: Site, n: int) -> str:
    async with pool.acquire() as conn, conn.transaction():
        queued = await queue_mail(
            conn,
            settings,
            site,
            f"reader{n}@example.com",
            "test",
            {"name": "سارة", "quote": Quote(BODY, BODY, "rtl")},
            unsubscribe_url=f"https://news.example/unsubscribe?t={n}",
        )
    return queued.message_id


async def decisions(
    args: argparse.Namespace, settings: Settings, site: Site, log: Path
) -> list[float]:
    """Milliseconds from each rejection's answer to its statement mail's arrival."""
    app_settings = dataclasses.replace(
        settings, mail_workers=True, webhook_workers=False, port=free_port()
    )
    runner = web.AppRunner(create_app(app_settings), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", app_settings.port).start()
    base = f"http://127.0.0.1:{app_settings.port}"
    try:
        async with create_pool(settings) as pool:
            await service.admin.save_settings(
                pool,
                site,
                dataclasses.replace(
                    site.settings,
                    statement_of_reasons=StatementPolicy.ALL,
                    flood_seconds=0,
                    hourly_limit=0,
                ),
            )
            _, token = await service.admin.create_token(pool, site.slug, Role.MODERATOR)
            async with aiohttp.ClientSession(base) as http:
                ids = []
                for n in range(args.decisions):
                    async with http.post(
                        f"/v1/sites/{site.slug}/comments",
                        json={
                            "thread": "t",
                            "name": "سارة",
                            "email": f"author{n}@example.com",
                            "body": BODY,
                        },
                    ) as response:
                        assert response.status == 202, await response.text()
                        ids.append((await response.json())["id"])
                decided: list[float] = []
                for comment_id in ids:
                    async with http.post(
                        f"/v1/comments/{comment_id}/reject",
                        json={"reason": "offensive", "explanation": "تهجّم على كاتب آخر"},
                        headers={"Authorization": f"Bearer {token}"},
                    ) as response:
                        assert response.status == 200, await response.text()
                    decided.append(time.time())
                    await asyncio.sleep(0.02)
            statements = [
                r["message_id"]
                for r in await pool.fetch(
                    "SELECT message_id FROM mail_outbox WHERE kind = 'statement' ORDER BY id"
                )
            ]
        assert len(statements) == len(decided)
        deadline = time.monotonic() + 30
        while len(arrivals(log).keys() & set(statements)) < len(statements):
            assert time.monotonic() < deadline, "statements did not all arrive within 30 s"
            await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()
    arrived = arrivals(log)
    return sorted((arrived[m] - t) * 1000 for m, t in zip(statements, decided, strict=True))


async def measure(args: argparse.Namespace, port: int, log: Path) -> None:
    database_url, site = await prepare(server_url())
    settings = Settings(
        database_url=database_url,
        secret_key=SECRET,
        smtp=SmtpRelay(host="127.0.0.1", port=port, starttls=False),
        mail_from="news@news.example",
        mail_connections=args.connections,
        pool_min_size=2,
    )
    transport = transport_for(settings)
    assert transport is not None
    async with create_pool(settings) as pool:
        started = time.perf_counter()
        for n in range(args.mails):
            await queue(pool, settings, site, n)
        queue_rate = args.mails / (time.perf_counter() - started)

        stop = asyncio.Event()
        sender = MailSender(pool, settings, transport, metrics=Metrics.create())
        cpu, started = time.process_time(), time.perf_counter()
        task = asyncio.create_task(sender.run(stop))
        while True:  # the database is the judge of "sent"
            if not await pool.fetchval("SELECT count(*) FROM mail_outbox WHERE status = 'pending'"):
                break
            await asyncio.sleep(0.02)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        sent = await pool.fetchval("SELECT count(*) FROM mail_outbox WHERE status = 'sent'")

        committed: dict[str, float] = {}
        for n in range(args.latency_mails):
            message_id = await queue(pool, settings, site, args.mails + n)
            committed[message_id] = time.time()
            await asyncio.sleep(0.02)
        deadline = time.monotonic() + 30
        while True:
            if len(arrivals(log).keys() & committed.keys()) == len(committed):
                break
            assert time.monotonic() < deadline, "latency mails did not all arrive within 30 s"
            await asyncio.sleep(0.05)
        stop.set()
        await task
    arrived = arrivals(log)
    delays = sorted((arrived[m] - t) * 1000 for m, t in committed.items())
    decision_delays = await decisions(args, settings, site, log) if args.decisions else []
    print(
        f"queue_mail (subject, draft and insert, one transaction each): {queue_rate:,.0f} mails/s\n"
        f"{sent:,}/{args.mails:,} sent by one sender ({args.connections} SMTP connections) in "
        f"{elapsed:.2f} s: {sent / elapsed:,.0f} mails/s end to end (claim → SMTP → recorded); "
        f"sender CPU {cpu / max(sent, 1) * 1e6:,.0f} µs/mail\n"
        f"commit → arrival at the SMTP server over {len(delays)} mails: median "
        f"{statistics.median(delays):.1f} ms, p95 {delays[int(len(delays) * 0.95) - 1]:.1f} ms, "
        f"max {delays[-1]:.1f} ms"
    )
    if decision_delays:
        d = decision_delays
        print(
            f"decision (reject over HTTP, 200 received) → statement of reasons at the SMTP "
            f"server over {len(d)} decisions: median {statistics.median(d):.1f} ms, "
            f"p95 {d[int(len(d) * 0.95) - 1]:.1f} ms, max {d[-1]:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--latency-mails", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=100)
    args = parser.parse_args()
    configure_logging(as_json=True)
    structlog.configure(logger_factory=structlog.WriteLoggerFactory(open(os.devnull, "w")))  # noqa: SIM115
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "arrivals"
        log.touch()
        port = free_port()
        server = start_smtp_server(port, log)
        try:
            asyncio.run(measure(args, port, log))
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
