"""What the log holds: one JSON object a line in production (the standard library's loggers
included), never a traceback's local variables, an email or the database password, and a
client that went away logged as such."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from aiohttp import web
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from moderation.app import create_app
from moderation.config import SETTINGS
from moderation.logs import configure_logging
from moderation.schemas import parse_submission, read_payload
from tests.conftest import SiteFixture, comment_payload, make_settings
from tests.support import eventually
from tests.support import with_password as with_secret

PASSWORD = "pw-that-must-not-leak"
EMAIL = "hidden.author@example.org"


class Output:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line written so far, each of which must be one JSON object."""
        return [json.loads(line) for line in self.text.splitlines()]


@pytest.fixture
def json_log() -> Iterator[Output]:
    """Production logging as `serve` configures it, into a buffer; the defaults restored after."""
    output = Output()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(as_json=True, stream=output.stream)
    # Loggers used by this test must not keep the buffer after it.
    structlog.configure(cache_logger_on_first_use=False)
    yield output
    structlog.reset_defaults()
    root.handlers, root.level = handlers, level


def with_password(url: str) -> str:
    return with_secret(url, PASSWORD)


async def test_an_unhandled_exception_logs_neither_the_email_nor_the_database_password(
    aiohttp_client: Any, database_url: str, clean_database: None, json_log: Output
) -> None:
    settings = make_settings(with_password(database_url))
    app = create_app(settings)

    async def broken(request: web.Request) -> web.Response:
        # Locals a traceback with locals would show: the payload with the email, the settings
        # with the DSN; the message itself names the settings, as a careless one might.
        submission = parse_submission(await read_payload(request))
        current = request.app[SETTINGS]
        raise RuntimeError(f"cannot store {submission.thread} with {current!r}")

    app.router.add_post("/v1/sites/{site}/broken", broken)
    client = await aiohttp_client(app)
    response = await client.post(
        "/v1/sites/daily/broken", json=comment_payload(email=EMAIL, name="سارة")
    )
    assert response.status == 500
    assert response.content_type == "application/problem+json"
    assert EMAIL not in await response.text()
    lines = json_log.lines()
    failures = [line for line in lines if line["event"] == "unhandled_exception"]
    assert len(failures) == 1  # the inner error handling rendered it; the outer saw a response
    failure = failures[0]
    assert failure["exception"][0]["exc_type"] == "RuntimeError"
    assert all(frame.get("locals") is None for frame in failure["exception"][0]["frames"])
    text = json_log.text
    assert EMAIL not in text and "hidden.author" not in text
    assert PASSWORD not in text


async def test_the_standard_librarys_loggers_write_json_lines_through_the_same_processors(
    json_log: Output,
) -> None:
    try:
        raise ConnectionRefusedError("connect call failed")
    except ConnectionRefusedError:
        logging.getLogger("asyncpg.pool").exception("reconnecting")
    logging.getLogger("aiohttp.server").warning("Error handling request %s", "x", extra={})
    lines = json_log.lines()
    assert [line["logger"] for line in lines] == ["asyncpg.pool", "aiohttp.server"]
    assert lines[0]["event"] == "reconnecting"
    assert lines[0]["level"] == "error"
    assert lines[0]["exception"][0]["exc_type"] == "ConnectionRefusedError"
    assert lines[1]["event"] == "Error handling request x"


async def test_a_client_that_disconnects_mid_body_is_logged_as_client_disconnected(
    client: TestClient, site: SiteFixture
) -> None:
    with capture_logs() as logs:
        _reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
        writer.write(
            f"POST /v1/sites/{site.slug}/comments HTTP/1.1\r\nHost: x\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            + b'{"thread": "t",'
        )
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.close()
        await writer.wait_closed()
        await eventually(lambda: any(entry["event"] == "request" for entry in logs))
    events = [entry["event"] for entry in logs]
    assert "client_disconnected" in events
    assert "database_unavailable" not in events
    request = next(entry for entry in logs if entry["event"] == "request")
    assert request["status"] == 499
