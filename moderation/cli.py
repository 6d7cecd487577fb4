"""The `moderation` command: serve, send webhooks and mail (worker), migrate, manage sites and
tokens, export or erase a data subject's data, run the retention schedule, rotate the address
keys."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import multiprocessing
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

import asyncpg
import structlog
import uvloop
from aiohttp import web

from . import service
from .config import ConfigError, Settings
from .db import create_pool
from .deadlines import server_options
from .domain import EraseMode, Role
from .embedded import EmbeddedUnavailable, local_secret, start_embedded_postgres
from .errors import FieldError, Problem
from .logs import configure_logging
from .migrate import migrate
from .schemas import parse_email
from .views import erasure_view

DEMO_SITE = "demo"
log = structlog.get_logger("moderation.cli")


class CommandError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moderation",
        description="Comment moderation service. Reads DATABASE_URL (a PostgreSQL DSN); without "
        "it, runs on an embedded PostgreSQL kept under MODERATION_DATA_DIR (.moderation/).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP service (applies migrations first)")
    serve.add_argument(
        "--host", help="address to listen on (default: MODERATION_HOST or 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, help="port to listen on (default: PORT or 8080)")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="processes sharing the port via SO_REUSEPORT (default: 1)",
    )

    worker = commands.add_parser(
        "worker",
        help="send webhooks and mail only, without the HTTP service (run several to scale)",
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="deliveries in flight at once (default: MODERATION_WEBHOOK_CONCURRENCY or 100)",
    )

    commands.add_parser("migrate", help="apply pending database migrations and exit")

    site = commands.add_parser("site", help="manage sites").add_subparsers(
        dest="site_command", required=True, metavar="ACTION"
    )
    create_site = site.add_parser("create", help="create a site (a tenant: one news site)")
    create_site.add_argument("slug", help="short name used in URLs, e.g. 'daily-news'")
    create_site.add_argument("--name", help="display name (default: the slug)")
    create_site.add_argument(
        "--origin",
        action="append",
        default=[],
        metavar="URL",
        help="origin allowed to post from a browser (CORS), e.g. https://news.example; repeatable",
    )

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", required=True, metavar="ACTION"
    )
    create_token = token.add_parser(
        "create", help="create a token and print it alone on stdout (it is shown only once)"
    )
    create_token.add_argument("--site", required=True, metavar="SLUG")
    create_token.add_argument("--role", required=True, choices=[r.value for r in Role])
    revoke = token.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id", type=int)

    data = commands.add_parser(
        "data", help="a data subject's rights: export or erase what is held about an address"
    ).add_subparsers(dest="data_command", required=True, metavar="ACTION")
    export = data.add_parser(
        "export", help="print, as JSON, everything held about an address on a site"
    )
    export.add_argument("--site", required=True, metavar="SLUG")
    export.add_argument("--email", required=True)
    erase = data.add_parser(
        "erase", help="erase an address's data on a site (or on every site) and print the counts"
    )
    where = erase.add_mutually_exclusive_group(required=True)
    where.add_argument("--site", metavar="SLUG")
    where.add_argument(
        "--all-sites", action="store_true", help="every site, each erased on its own"
    )
    erase.add_argument("--email", required=True)
    erase.add_argument(
        "--mode",
        choices=[m.value for m in EraseMode],
        default=EraseMode.ANONYMIZE.value,
        help="anonymize: keep the text under a 'deleted author' (default); delete: the text too",
    )
    keys = commands.add_parser(
        "keys", help="the keys of the email addresses kept encrypted"
    ).add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    rotate = keys.add_parser(
        "rotate",
        help="seal every address still plain or under another key id than "
        "MODERATION_EMAIL_KEY_VERSION, in small batches (safe while the service runs)",
    )
    rotate.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="N",
        help="rows per transaction (default: 500)",
    )

    retention = commands.add_parser(
        "retention", help="apply the sites' retention schedules (the sweeper does it on its own)"
    ).add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    run = retention.add_parser(
        "run", help="purge what is due now and print how many rows, per site and kind"
    )
    run.add_argument("--site", metavar="SLUG", help="only this site (default: every site)")
    run.add_argument("--dry-run", action="store_true", help="count what is due, change nothing")
    return parser


class Database:
    """Resolves where the database is: DATABASE_URL, or the embedded development server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedded: Any = None

    def resolve(self) -> Settings:
        if self.settings.database_url:
            return self.settings
        self.embedded = start_embedded_postgres(self.settings.data_dir)
        key = (
            self.settings.secret_key or local_secret(self.settings.data_dir, "secret_key").encode()
        )
        return dataclasses.replace(
            self.settings, database_url=self.embedded.get_uri(), secret_key=key
        )


async def _with_pool(settings: Settings, action: Any) -> Any:
    async with create_pool(settings, min_size=1) as pool:
        return await action(pool)


async def _prepare(settings: Settings, *, embedded: bool) -> None:
    """Migrate; on a fresh embedded database, create the demo site and print how to use it."""
    conn = await asyncpg.connect(settings.session_database_url)
    try:
        await migrate(conn, settings.sql_dir)
    finally:
        await conn.close()
    if not embedded:
        return
    demo_file = settings.data_dir / "demo-tokens"

    async def ensure_demo(pool: asyncpg.Pool) -> None:
        async with pool.acquire() as c:
            has_sites = await c.fetchval("SELECT EXISTS (SELECT 1 FROM sites)")
        if not has_sites:
            await service.admin.create_site(
                pool, DEMO_SITE, "Demo News", [f"http://{settings.host}:{settings.port}"]
            )
            _, moderator = await service.admin.create_token(pool, DEMO_SITE, Role.MODERATOR)
            _, admin = await service.admin.create_token(pool, DEMO_SITE, Role.ADMIN)
            demo_file.write_text(f"{moderator}\n{admin}\n", encoding="ascii")
            demo_file.chmod(0o600)

    await _with_pool(settings, ensure_demo)
    if demo_file.exists():
        moderator, admin = demo_file.read_text(encoding="ascii").split()
        _print_welcome(settings, moderator, admin)


def _print_welcome(settings: Settings, moderator: str, admin: str) -> None:
    base = f"http://{settings.host}:{settings.port}"
    print(
        f"""
Development mode: embedded PostgreSQL under {settings.data_dir}/ (site "{DEMO_SITE}").
  moderator token: {moderator}
  admin token:     {admin}

Post a comment, list the queue, approve it, read the thread:
  curl -s {base}/v1/sites/{DEMO_SITE}/comments -H 'Content-Type: application/json' \\
    -d '{{"thread": "article-1", "name": "سارة", "email": "sara@example.com",
         "body": "مقال رائع، شكراً"}}'
  curl -s {base}/v1/sites/{DEMO_SITE}/queue -H 'Authorization: Bearer {moderator}'
  curl -s -X POST {base}/v1/comments/ID/approve -H 'Authorization: Bearer {moderator}'
  curl -s '{base}/v1/sites/{DEMO_SITE}/comments?thread=article-1'
""",
        file=sys.stderr,
        flush=True,
    )
    if settings.development:
        print(
            f"In a browser: the demo article {base}/demo/ (post a comment there), then the\n"
            f"moderator console {base}/moderate/ (the article links to it, signed in).\n"
            + (
                f"Mail is kept, not sent (no MODERATION_SMTP_URL): read it at {base}/dev/mail\n"
                if settings.smtp is None
                else ""
            ),
            file=sys.stderr,
            flush=True,
        )


def _serve(settings: Settings, database: Database, workers: int) -> None:
    if workers < 1:
        raise CommandError("--workers must be at least 1")
    if not settings.secret_key:
        raise CommandError("MODERATION_SECRET_KEY is required when DATABASE_URL is set")
    asyncio.run(_prepare(settings, embedded=database.embedded is not None))
    if workers == 1:
        _run_app(settings, reuse_port=False)
        return
    # Each process is a whole service with its own pool; the kernel spreads connections.
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_run_app, args=(settings, True), name=f"moderation-{n}")
        for n in range(workers)
    ]
    for process in processes:
        process.start()

    def stop(signum: int, _frame: object) -> None:
        for process in processes:
            if process.pid is not None and process.is_alive():
                os.kill(process.pid, signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for process in processes:
        process.join()
    failed = [p.name for p in processes if p.exitcode not in (0, -signal.SIGTERM)]
    if failed:
        raise CommandError(f"worker processes failed: {', '.join(failed)}")


def _run_app(settings: Settings, reuse_port: bool) -> None:
    from .app import create_app

    configure_logging(as_json=settings.log_json, level=settings.log_level)
    log.info("serving", host=settings.host, port=settings.port, pid=os.getpid())
    app = create_app(settings)
    app.on_startup.append(_settle_collector)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        reuse_port=reuse_port,
        print=None,  # no start-up banner: in production every line is one JSON object
        loop=uvloop.new_event_loop(),
        **server_options(settings),
    )


async def _settle_collector(_app: web.Application) -> None:
    """What start-up built (modules, pools, compiled rules) lives as long as the process: frozen,
    the collector never walks it again. Collections of the young run a tenth as often, each
    still short: a request leaves few cycles, and ~6 % of a queue page's CPU went to them."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


GC_YOUNG_THRESHOLD = 7_000  # allocations between collections of the youngest; Python's is 700


def _work(settings: Settings, args: argparse.Namespace) -> None:
    from .worker import run_worker

    if args.concurrency is not None and args.concurrency < 1:
        raise CommandError("--concurrency must be at least 1")
    if not settings.secret_key:
        # The mail sender opens the sealed addresses with keys derived from it.
        raise CommandError("MODERATION_SECRET_KEY is required: the same one `serve` uses")
    uvloop.run(run_worker(settings, concurrency=args.concurrency))


async def _site_create(settings: Settings, args: argparse.Namespace) -> None:
    site = await _with_pool(
        settings,
        lambda pool: service.admin.create_site(
            pool, args.slug, args.name or args.slug, args.origin
        ),
    )
    print(f"created site {site.slug} (id {site.id})", file=sys.stderr)


async def _token_create(settings: Settings, args: argparse.Namespace) -> None:
    token_id, token = await _with_pool(
        settings, lambda pool: service.admin.create_token(pool, args.site, Role(args.role))
    )
    print(
        f"token id {token_id} ({args.role} of {args.site}); it is shown only once", file=sys.stderr
    )
    print(token)


async def _token_revoke(settings: Settings, args: argparse.Namespace) -> None:
    if not await _with_pool(settings, lambda pool: service.admin.revoke_token(pool, args.id)):
        raise CommandError(f"no active token with id {args.id}")
    print(f"revoked token {args.id}", file=sys.stderr)


def _email(text: str) -> str:
    try:
        return parse_email(text)
    except FieldError as exc:
        raise CommandError(f"--email {exc.message}") from None


async def _data_export(settings: Settings, args: argparse.Namespace) -> None:
    email = _email(args.email)

    async def export(pool: asyncpg.Pool) -> dict[str, Any]:
        site = await service.subjects.site_named(pool, args.site)
        email_hash = service.subjects.subject_hash(settings.secret_key, site, email)
        return await service.subjects.export(pool, site, email_hash, settings.email_keys)

    print(json.dumps(await _with_pool(settings, export), ensure_ascii=False, indent=2))


async def _keys_rotate(settings: Settings, args: argparse.Namespace) -> None:
    if not settings.secret_key:
        raise CommandError("MODERATION_SECRET_KEY is required when DATABASE_URL is set")
    if not 1 <= args.batch_size <= 10_000:
        raise CommandError("--batch-size must be from 1 to 10000")
    keys = settings.email_keys
    done = await _with_pool(
        settings, lambda pool: service.keys.rotate(pool, keys, batch_size=args.batch_size)
    )
    for counts in done:
        print(
            f"{counts.place}: {counts.sealed} sealed, {counts.resealed} re-sealed under key "
            f"{keys.current}, {counts.unreadable} unreadable, {counts.remaining} remaining"
        )
    if any(counts.unreadable for counts in done):
        raise CommandError(
            "some addresses do not open with this MODERATION_SECRET_KEY and key ids up to "
            f"{keys.current} (logged as address_unreadable); they were left as they are"
        )
    if any(counts.remaining for counts in done):
        raise CommandError("some rows were written meanwhile under another key id: run it again")


async def _data_erase(settings: Settings, args: argparse.Namespace) -> None:
    email, mode = _email(args.email), EraseMode(args.mode)

    async def erase(pool: asyncpg.Pool) -> list[dict[str, Any]]:
        if args.all_sites:
            targets = await service.subjects.every_site(pool)
        else:
            targets = [await service.subjects.site_named(pool, args.site)]
        done = []
        for site in targets:
            email_hash = service.subjects.subject_hash(settings.secret_key, site, email)
            erasure = await service.subjects.erase(
                pool, site, email_hash, mode, actor=None, threads=None
            )
            done.append(erasure_view(site.slug, erasure))
        return done

    results = await _with_pool(settings, erase)
    print(json.dumps(results if args.all_sites else results[0], ensure_ascii=False, indent=2))


async def _retention_run(settings: Settings, args: argparse.Namespace) -> None:
    counts = await _with_pool(
        settings,
        lambda pool: service.retention.sweep(pool, site_slug=args.site, dry_run=args.dry_run),
    )
    verb = "due (dry run, nothing changed)" if args.dry_run else "purged"
    for slug, kinds in counts.items():
        for kind, rows in kinds.items():
            print(f"{slug}\t{kind}\t{rows}")
    print(f"rows {verb}: {sum(sum(k.values()) for k in counts.values())}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            settings = dataclasses.replace(
                settings,
                host=args.host or settings.host,
                port=args.port if args.port is not None else settings.port,
            )
        # `data` prints its JSON, `keys` and `retention` their counts on stdout: their log
        # lines go to stderr.
        log_stream = sys.stderr if args.command in ("data", "keys", "retention") else None
        configure_logging(as_json=settings.log_json, level=settings.log_level, stream=log_stream)
        if args.command == "worker" and not settings.database_url:
            # An embedded database belongs to the one process that started it.
            raise CommandError("worker needs DATABASE_URL: the database `serve` uses")
        database = Database(settings)
        settings = database.resolve()
        if args.command == "serve":
            _serve(settings, database, args.workers)
        elif args.command == "worker":
            _work(settings, args)
        elif args.command == "migrate":
            asyncio.run(_prepare(settings, embedded=False))
        elif args.command == "site":
            asyncio.run(_site_create(settings, args))
        elif args.command == "token" and args.token_command == "create":
            asyncio.run(_token_create(settings, args))
        elif args.command == "token":
            asyncio.run(_token_revoke(settings, args))
        elif args.command == "data" and args.data_command == "export":
            asyncio.run(_data_export(settings, args))
        elif args.command == "data":
            asyncio.run(_data_erase(settings, args))
        elif args.command == "keys":
            asyncio.run(_keys_rotate(settings, args))
        elif args.command == "retention":
            asyncio.run(_retention_run(settings, args))
    except (CommandError, ConfigError, EmbeddedUnavailable) as exc:
        print(f"moderation: {exc}", file=sys.stderr)
        return 2
    except Problem as exc:
        print(f"moderation: {exc.detail or exc.title}", file=sys.stderr)
        return 1
    except asyncpg.UniqueViolationError:
        print("moderation: that already exists", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"moderation: database error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
