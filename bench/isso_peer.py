"""The peer: Isso 0.14 from PyPI in its own venv (bench/.isso-venv), run by gunicorn with one
worker, its rate limit (guard) and moderation off, and per-comment notifications off."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import aiohttp
from bodies import Body
from processes import Server, free_port

VERSION = "0.14.0"
VENV = Path(__file__).resolve().parent / ".isso-venv"
GUNICORN = VENV / "bin" / "gunicorn"
HOT_URI = "/news/2026/hot"

CONFIG = """[general]
dbpath = {dbpath}
host = {origin}/
# No per-comment log lines (ours runs with LOG_LEVEL=WARNING).
notify = none
latest-enabled = false

[moderation]
enabled = false

[guard]
enabled = false

[server]
listen = {origin}
"""


def ensure_installed() -> str:
    """Create the venv and install Isso and gunicorn on first use; the installed version."""
    if not GUNICORN.exists():
        print(f"installing isso=={VERSION} and gunicorn into {VENV} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "pip"), "install", "--quiet", f"isso=={VERSION}", "gunicorn"],
            check=True,
            timeout=600,
        )
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", "import isso; print(isso.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


class Isso:
    def __init__(self, workdir: Path, log_dir: Path) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.config = workdir / "isso.cfg"
        self.config.write_text(
            CONFIG.format(dbpath=workdir / "isso.db", origin=self.origin), encoding="utf-8"
        )
        self.log_dir = log_dir
        self.server: Server | None = None

    def start(self, pin: Sequence[str]) -> Server:
        argv = [str(GUNICORN), "-w", "1", "-b", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        self.server = Server(
            "isso",
            [*argv, "isso.run"],
            env={"ISSO_SETTINGS": str(self.config), "PATH": str(VENV / "bin") + ":/usr/bin:/bin"},
            log_dir=self.log_dir,
            ready_url=f"{self.origin}/?uri=%2Fready",
            pin=pin,
        ).start()
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    @property
    def running(self) -> Server:
        assert self.server is not None, "isso is not started"
        return self.server

    @property
    def headers(self) -> dict[str, str]:
        # Isso answers CORS for its configured host; send what a browser on that page would.
        return {"Content-Type": "application/json", "Origin": self.origin}

    async def seed_thread(self, bodies: Sequence[Body], count: int) -> int:
        async with aiohttp.ClientSession(headers=self.headers) as http:
            for i in range(count):
                body = bodies[i % len(bodies)]
                payload = {
                    "text": body.text,
                    "author": body.name,
                    "email": f"seed-{i}@bench.example",
                    "title": "Hot thread",
                }
                url = f"{self.origin}/new?uri={quote(HOT_URI, safe='')}"
                async with http.post(url, json=payload) as response:
                    if response.status not in (201, 202):
                        raise RuntimeError(
                            f"isso seeding: {response.status} {await response.text()}"
                        )
            async with http.get(f"{self.origin}/?uri={quote(HOT_URI, safe='')}") as response:
                page = await response.json()
        return len(page["replies"])

    @property
    def thread_path(self) -> str:
        return f"/?uri={quote(HOT_URI, safe='')}&limit=100"
