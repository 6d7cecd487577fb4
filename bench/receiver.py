"""A webhook receiver that answers 200 at once and counts what it got, as a separate process.

python bench/receiver.py --port 8003
POST /hook     → 200 (counted)
GET  /stats    → {"received": N, "first": t, "last": t}   (time.monotonic() of this process)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from aiohttp import web


@dataclass(slots=True)
class Tally:
    received: int = 0
    first: float | None = None
    last: float | None = None


TALLY = web.AppKey("bench.receiver.tally", Tally)


async def hook(request: web.Request) -> web.Response:
    await request.read()
    tally = request.app[TALLY]
    now = time.monotonic()
    tally.received += 1
    tally.first = now if tally.first is None else tally.first
    tally.last = now
    return web.Response(text="ok")


async def stats(request: web.Request) -> web.Response:
    tally = request.app[TALLY]
    return web.json_response({"received": tally.received, "first": tally.first, "last": tally.last})


def create_app() -> web.Application:
    app = web.Application()
    app[TALLY] = Tally()
    app.add_routes([web.post("/hook", hook), web.get("/stats", stats)])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(create_app(), host="127.0.0.1", port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
