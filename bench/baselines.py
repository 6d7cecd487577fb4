"""Baselines, each a separate process: the floor our service is measured against.

A: a bare aiohttp app. POST /v1/sites/{site}/comments reads the body and answers 202;
   GET answers 200 with an empty page. No parsing, no database: the cost of HTTP in aiohttp.
B: A plus one asyncpg INSERT of the posted comment per request (autocommit, so each is a
   durable commit like ours), from a pool of the same size as ours.

    python bench/baselines.py a --port 8001
    python bench/baselines.py b --port 8002 --database-url postgresql://... [--pool-max-size 10]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

COMMENTS_PATH = "/v1/sites/{site}/comments"
QUEUE_PATH = "/v1/sites/{site}/queue"  # the moderator queue's reference: the same empty page
POOL = web.AppKey("bench.baseline.pool", asyncpg.Pool)
DATABASE_URL = web.AppKey("bench.baseline.database_url", str)
POOL_MAX_SIZE = web.AppKey("bench.baseline.pool_max_size", int)

ACCEPTED = json.dumps({"status": "pending"})
EMPTY_PAGE = json.dumps({"items": [], "next_cursor": None})

TABLE = """CREATE TABLE IF NOT EXISTS bench_baseline_comments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread      text NOT NULL,
    name        text NOT NULL,
    email       text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
)"""
INSERT = """INSERT INTO bench_baseline_comments (thread, name, email, body)
            VALUES ($1, $2, $3, $4) RETURNING id"""


async def accept(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(status=202, text=ACCEPTED, content_type="application/json")


async def accept_and_insert(request: web.Request) -> web.Response:
    data = json.loads(await request.read())
    async with request.app[POOL].acquire() as conn:
        await conn.fetchval(INSERT, data["thread"], data["name"], data["email"], data["body"])
    return web.Response(status=202, text=ACCEPTED, content_type="application/json")


async def empty_page(request: web.Request) -> web.Response:
    return web.Response(text=EMPTY_PAGE, content_type="application/json")


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
    async with asyncpg.create_pool(
        app[DATABASE_URL], min_size=2, max_size=app[POOL_MAX_SIZE]
    ) as pool:
        await pool.execute(TABLE)
        app[POOL] = pool
        yield


def create_app(
    kind: str, *, database_url: str | None = None, pool_max_size: int = 10
) -> web.Application:
    app = web.Application()
    if kind == "b":
        assert database_url, "baseline B needs --database-url"
        app[DATABASE_URL] = database_url
        app[POOL_MAX_SIZE] = pool_max_size
        app.cleanup_ctx.append(pool_ctx)
    app.add_routes(
        [
            web.post(COMMENTS_PATH, accept_and_insert if kind == "b" else accept),
            web.get(COMMENTS_PATH, empty_page),
            web.get(QUEUE_PATH, empty_page),
            web.get("/healthz", healthz),
        ]
    )
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["a", "b"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--pool-max-size", type=int, default=10)
    args = parser.parse_args()
    app = create_app(args.kind, database_url=args.database_url, pool_max_size=args.pool_max_size)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
