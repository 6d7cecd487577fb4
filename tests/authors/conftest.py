"""Authors' fixtures: the app sending through a real SMTP server, and helpers that read the
links out of the mails it receives and follow them over HTTP."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from moderation.config import Settings
from moderation.db import POOL
from tests.conftest import SiteFixture
from tests.mail.conftest import Arrived, MailServer, mail_settings, smtp_server

__all__ = ["smtp_server"]  # the real SMTP server fixture, shared with the mail tests

BASE = "http://comments.test"
# What a browser following a link in a mail asks for: error answers are then pages.
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ARTICLE = "https://daily.example/politics/2026/elections"
_URL = re.compile(r"https?://[^\s<>\"]+")


@pytest.fixture
def settings(database_url: str, smtp_server: MailServer) -> Settings:
    return mail_settings(database_url, smtp_server.port, public_base_url=BASE)


def text_of(arrived: Arrived) -> str:
    part = arrived.message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def links_in(arrived: Arrived, page: str) -> list[str]:
    """The paths of the mail's links to our `page` (confirm, appeal, me, unsubscribe)."""
    found = []
    for url in _URL.findall(text_of(arrived)):
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" == BASE and f"/{page}/" in parts.path:
            found.append(parts.path)
    return list(dict.fromkeys(found))


def link_in(arrived: Arrived, page: str) -> str:
    [path] = links_in(arrived, page)
    return path


def kind_of(arrived: Arrived) -> str:
    return str(arrived.message["Subject"])


async def set_settings(client: TestClient, site: SiteFixture, **values: Any) -> None:
    response = await client.patch(
        f"/v1/sites/{site.slug}/settings", json=values, headers=site.auth(site.admin)
    )
    assert response.status == 200, await response.text()


async def mail_kinds(client: TestClient) -> list[str]:
    """The kinds of the mails queued so far. A mail is queued in the transaction of the event
    that causes it, so once an HTTP answer is in, its mails (or their absence) are final."""
    rows = await client.app[POOL].fetch("SELECT kind FROM mail_outbox ORDER BY id")
    return [r["kind"] for r in rows]
