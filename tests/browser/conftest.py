"""A real headless Chromium (Debian's, through Playwright) against the real service running
in development mode on 127.0.0.1, with the demo site and its tokens."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from moderation import service
from moderation.app import create_app
from moderation.config import Settings
from moderation.db import POOL
from moderation.domain import Role
from tests.conftest import UNLIMITED, make_settings

CHROMIUM = os.environ.get("MODERATION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"

if not Path(CHROMIUM).exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: apt-get install chromium (.ci/run does)",
        allow_module_level=True,
    )
playwright_api = pytest.importorskip("playwright.async_api", reason="pip install playwright")


@dataclass(frozen=True)
class Live:
    base: str
    moderator: str
    admin: str
    pool: Any

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
async def live(
    aiohttp_server: Any, database_url: str, clean_database: None, tmp_path: Path
) -> Live:
    settings: Settings = make_settings(database_url, development=True, data_dir=tmp_path)
    app = create_app(settings)
    server = await aiohttp_server(app, host="127.0.0.1")
    base = f"http://127.0.0.1:{server.port}"
    pool = app[POOL]
    site = await service.admin.create_site(pool, "demo", "Demo News", [base])
    await service.admin.save_settings(pool, site, UNLIMITED)
    _, moderator = await service.admin.create_token(pool, "demo", Role.MODERATOR)
    _, admin = await service.admin.create_token(pool, "demo", Role.ADMIN)
    (tmp_path / "demo-tokens").write_text(f"{moderator}\n{admin}\n", encoding="ascii")
    return Live(base, moderator, admin, pool)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    # launch() runs Chromium on a fresh temporary profile, removed when it closes.
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=20_000
        )
        try:
            yield browser
        finally:
            await browser.close()


# Records every CSP violation a page reports, from before its first script runs.
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def docs() -> Path:
    DOCS.mkdir(exist_ok=True)
    return DOCS
