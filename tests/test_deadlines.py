"""Slow clients are cut off, against the real `moderation serve` on a loopback port: a body or
headers trickled a byte at a time hold a connection for a bounded time only. The same run
checks the production log stream: one JSON object a line, no banner, no password."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from moderation.config import ConfigError, Settings
from moderation.deadlines import server_options
from tests.support import with_password
from tests.test_cli import _migrated_port, _serve, _wait_until_up

BODY_TIMEOUT = 1.0
HEADER_TIMEOUT = 1.5
PASSWORD = "serve-password-never-logged"
# A trickling client must be gone by then: the time limit, aiohttp's lingering after the
# answer (deadlines.LINGERING_SECONDS) and slack for a loaded machine.
CUT_OFF_WITHIN = 8.0


async def trickle(port: int, head: bytes, drip: bytes) -> tuple[float, bytes]:
    """Send `head`, then `drip` a byte every 0.2 s until the server closes the connection;
    how long that took and what the server answered."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    answer = b""
    try:
        writer.write(head)
        async with asyncio.timeout(CUT_OFF_WITHIN + 5):
            for byte in drip:
                try:
                    writer.write(bytes([byte]))
                    await writer.drain()
                except ConnectionError:
                    break
                try:
                    chunk = await asyncio.wait_for(reader.read(4096), 0.2)
                except TimeoutError:
                    continue
                answer += chunk
                if not chunk:
                    break
            else:
                raise AssertionError("the server read the whole trickle")
            answer += await reader.read()
    except ConnectionError:
        pass
    finally:
        writer.close()
    return time.monotonic() - started, answer


@dataclass
class Served:
    port: int = 0
    lines: list[str] = field(default_factory=list)


@asynccontextmanager
async def serving(cli_env: dict[str, str]) -> AsyncIterator[Served]:
    """`moderation serve` with short time limits and a password in its DSN; once stopped,
    `lines` holds everything it wrote."""
    url = with_password(cli_env["DATABASE_URL"], PASSWORD)
    env = {
        **cli_env,
        "DATABASE_URL": url,
        "MODERATION_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "MODERATION_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    }
    served = Served(await _migrated_port(env))
    process = _serve(env, "--port", str(served.port))
    try:
        await _wait_until_up(f"http://127.0.0.1:{served.port}", process)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
        served.lines += [line for line in (stdout + stderr).splitlines() if line]
    assert process.returncode == 0, stderr


async def test_slow_bodies_and_headers_are_cut_off_and_every_log_line_is_json(
    cli_env: dict[str, str],
) -> None:
    body_head = (
        b"POST /moderate/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 60000\r\n\r\n"
    )
    async with serving(cli_env) as served:
        results = await asyncio.gather(
            *(trickle(served.port, body_head, b"{" + b" " * 200) for _ in range(3)),
            trickle(served.port, b"GET /healthz HTTP/1.1\r\n", b"X-Slow: " + b"a" * 200),
        )
        # A request the app refuses and one it answers, for the log below.
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        writer.write(b"GET /v1/sites/x%00/comments?thread=t HTTP/1.1\r\nHost: x\r\n\r\n")
        async with asyncio.timeout(5):
            assert (await reader.readline()).startswith(b"HTTP/1.1 404")
        writer.close()
    for elapsed, _ in results:
        assert elapsed < CUT_OFF_WITHIN
    for elapsed, answer in results[:3]:
        assert elapsed >= BODY_TIMEOUT
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"application/problem+json" in answer
    assert results[3][0] >= HEADER_TIMEOUT - 0.1

    events = [json.loads(line) for line in served.lines]  # every line is one JSON object
    assert {"serving", "request"} <= {event["event"] for event in events}
    assert sum(event.get("status") == 408 for event in events) == 3
    text = "\n".join(served.lines)
    assert PASSWORD not in text
    assert "Running on" not in text  # aiohttp's banner


def test_the_time_limits_are_read_from_the_environment() -> None:
    env = {"MODERATION_BODY_TIMEOUT": "2.5", "MODERATION_HEADER_TIMEOUT": "4"}
    settings = Settings.from_env(env)
    assert (settings.body_timeout, settings.header_timeout) == (2.5, 4.0)
    assert server_options(settings)["keepalive_timeout"] == 4.0
    defaults = Settings.from_env({})
    assert (defaults.body_timeout, defaults.header_timeout) == (10.0, 15.0)
    for name in env:
        with pytest.raises(ConfigError, match=name):
            Settings.from_env({name: "0"})
