"""The service under test: `moderation migrate`, sites and tokens by its CLI, `moderation serve`,
and the setup done through its own API (limits raised, a webhook endpoint, a seeded thread)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from bodies import Body
from processes import Server, free_port

BIN = Path(sys.executable).parent
SITE = "bench"
FLOOD_SITE = "bench-flood"
ORIGIN = "http://127.0.0.1"
POOL_MAX_SIZE = 10
# Limits raised for the ingest site only: the brief's values first, then the highest the
# settings endpoint accepts.
RAISED_LIMITS = (
    {"flood_seconds": 0, "hourly_limit": 1_000_000},
    {"flood_seconds": 0, "hourly_limit": 100_000},
)
WEBHOOK_EVENTS = ["comment.created", "comment.approved", "comment.rejected"]


@dataclass(slots=True)
class Tokens:
    moderator: str
    admin: str


@dataclass(slots=True)
class Setup:
    """What was done to prepare the service, for the report."""

    notes: list[str] = field(default_factory=list)


def serve_help() -> str:
    done = subprocess.run(
        [str(BIN / "moderation"), "serve", "--help"], capture_output=True, text=True, check=False
    )
    return done.stdout + done.stderr


class Moderation:
    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        *,
        name: str = "moderation",
        dispatcher: bool = False,
        secret_key: str | None = None,
        source: Path | None = None,
        stage_timing: bool = False,
    ) -> None:
        self.database_url = database_url
        self.log_dir = log_dir
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server: Server | None = None
        # Another checkout of the package (bench/ab.py), run by this venv's Python.
        self.source = source
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MODERATION_SECRET_KEY": secret_key or secrets.token_urlsafe(48),
            "LOG_LEVEL": "WARNING",
            "MODERATION_POOL_MAX_SIZE": str(POOL_MAX_SIZE),
            # Ingest comes "through a CDN": each request's X-Forwarded-For is its own client.
            "MODERATION_TRUSTED_PROXIES": "127.0.0.1/32",
            "MODERATION_WEBHOOK_ALLOW_PRIVATE": "1",
            # Off in the instance under HTTP load: ingest measures the request path up to the
            # durable commit of the comment and its outbox rows; sending them is the webhooks
            # scenario's business, with its own instance.
            "MODERATION_WEBHOOK_WORKERS": "1" if dispatcher else "0",
            # The retention sweeper would purge the depth scenario's seeded (old) rows while
            # they are measured; its cost is bench_retention.py's business.
            "MODERATION_RETENTION_INTERVAL": "0",
        }
        if stage_timing:  # CPU per accepted comment by stage, read at /debug/stages
            self.env["MODERATION_STAGE_TIMING"] = "1"
        if source is not None:
            self.env["PYTHONPATH"] = str(source)
            self.env["MODERATION_SQL_DIR"] = str(source / "sql")

    @property
    def stages_url(self) -> str:
        return f"{self.base}/debug/stages"

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "moderation"), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"moderation {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout.strip()

    def prepare(self, sites: Sequence[str]) -> Tokens:
        self.cli("migrate")
        for slug in sites:
            self.cli("site", "create", slug, "--origin", ORIGIN)
        return Tokens(
            moderator=self.cli("token", "create", "--site", sites[0], "--role", "moderator"),
            admin=self.cli("token", "create", "--site", sites[0], "--role", "admin"),
        )

    def start(self, pin: Sequence[str], *, extra: Sequence[str] = (), label: str = "") -> Server:
        command = [str(BIN / "moderation")]
        if self.source is not None:
            command = [sys.executable, "-m", "moderation"]
        argv = [*command, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.server = Server(
            label or self.name,
            [*argv, *extra],
            env=self.env,
            log_dir=self.log_dir,
            ready_url=f"{self.base}/healthz",
            pin=pin,
            # `python -m` puts the working directory first on the path: the checkout's own.
            cwd=self.source,
        ).start()
        return self.server

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


async def raise_limits(base: str, admin: str, setup: Setup) -> None:
    """Ingest measures the pipeline, not the limiter: lift the bench site's limits if possible."""
    headers = {"Authorization": f"Bearer {admin}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        for limits in RAISED_LIMITS:
            async with http.patch(f"{base}/v1/sites/{SITE}/settings", json=limits) as response:
                if response.status == 200:
                    setup.notes.append(f"ingest site limits set to {json.dumps(limits)}")
                    return
                if response.status in (404, 405):
                    setup.notes.append("no settings endpoint yet: ingest site limits left as is")
                    return
                last = f"{response.status} {await response.text()}"
        setup.notes.append(f"could not raise ingest limits: {last}")


async def register_webhook(base: str, admin: str, url: str, setup: Setup) -> None:
    """Subscribe the local receiver, so every ingested comment also writes its outbox row."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as http:
        body = {"url": url, "events": WEBHOOK_EVENTS}
        async with http.post(f"{base}/v1/sites/{SITE}/webhooks", json=body) as response:
            if response.status in (200, 201):
                setup.notes.append("webhook endpoint registered: ingest writes outbox rows")
            else:
                setup.notes.append(
                    f"no webhook endpoint ({response.status}): ingest writes no outbox rows"
                )


async def seed_thread(
    base: str, moderator: str, thread: str, bodies: Sequence[Body], count: int
) -> dict[str, Any]:
    """Post `count` comments through the API and approve each: the thread read's data."""
    ids: list[str] = []
    async with aiohttp.ClientSession() as http:
        for i in range(count):
            body = bodies[i % len(bodies)]
            payload = {"thread": thread, "name": body.name, "body": body.text}
            payload["email"] = f"seed-{i}@bench.example"
            headers = {"X-Forwarded-For": f"2001:db8:ffff:{i:x}::1"}
            async with http.post(
                f"{base}/v1/sites/{SITE}/comments", json=payload, headers=headers
            ) as response:
                if response.status != 202:
                    raise RuntimeError(f"seeding: POST answered {response.status}")
                ids.append((await response.json())["id"])
        auth = {"Authorization": f"Bearer {moderator}"}
        for comment_id in ids:
            async with http.post(f"{base}/v1/comments/{comment_id}/approve", headers=auth) as r:
                if r.status not in (200, 409):  # 409: already decided by auto-moderation
                    raise RuntimeError(f"seeding: approve answered {r.status}")
        url = f"{base}/v1/sites/{SITE}/comments"
        async with http.get(url, params={"thread": thread, "limit": str(count)}) as response:
            page = await response.json()
            etag = response.headers.get("ETag")
            size = len(await response.read())
    return {"items": len(page["items"]), "etag": etag, "bytes": size}
