"""The `moderation` command, run as a real process."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from moderation import tokens
from moderation.app import create_app
from moderation.migrate import migrate
from moderation.sealing import Place, Sealed
from tests.conftest import TEST_KEYS, TEST_SECRET, make_settings, make_site
from tests.support import eventually


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "moderation", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["serve", "--help"],
        ["migrate", "--help"],
        ["site", "create", "--help"],
        ["token", "create", "--help"],
        ["token", "revoke", "--help"],
        ["data", "export", "--help"],
        ["data", "erase", "--help"],
        ["retention", "run", "--help"],
    ):
        result = run_cli(*args, env=dict(os.environ))
        assert result.returncode == 0 and "usage:" in result.stdout


async def test_sites_and_tokens_are_managed_from_the_command_line(cli_env: dict[str, str]) -> None:
    assert run_cli("migrate", env=cli_env).returncode == 0
    created = run_cli(
        "site",
        "create",
        "al-akhbar",
        "--name",
        "الأخبار",
        "--origin",
        "https://akhbar.example",
        env=cli_env,
    )
    assert created.returncode == 0, created.stderr
    made = run_cli("token", "create", "--site", "al-akhbar", "--role", "moderator", env=cli_env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert made.stdout == token + "\n" and tokens.is_well_formed(token)
    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        row = await conn.fetchrow("SELECT id, token_hash FROM tokens")
        site = await conn.fetchrow("SELECT name, origins FROM sites")
    finally:
        await conn.close()
    assert row["token_hash"] == tokens.token_hash(token)
    assert token not in made.stderr
    assert (site["name"], site["origins"]) == ("الأخبار", ["https://akhbar.example"])
    assert run_cli("token", "revoke", str(row["id"]), env=cli_env).returncode == 0
    assert run_cli("token", "revoke", str(row["id"]), env=cli_env).returncode != 0
    missing = run_cli("token", "create", "--site", "nowhere", "--role", "admin", env=cli_env)
    assert missing.returncode != 0 and missing.stdout == ""
    duplicate = run_cli("site", "create", "al-akhbar", env=cli_env)
    assert duplicate.returncode != 0
    bad_slug = run_cli("site", "create", "Not A Slug!", env=cli_env)
    assert bad_slug.returncode != 0 and "slug" in bad_slug.stderr


async def test_an_operator_exports_and_erases_an_address_on_one_site_or_on_all(
    cli_env: dict[str, str], aiohttp_client: Any
) -> None:
    assert run_cli("migrate", env=cli_env).returncode == 0
    client = await aiohttp_client(create_app(make_settings(cli_env["DATABASE_URL"])))
    for slug in ("al-akhbar", "the-daily"):
        await make_site(client, slug)  # without limits: one client posts them all
    for slug, email, body in (
        ("al-akhbar", "Layla@Example.com", "تعليق ليلى الأول"),
        ("al-akhbar", "omar@example.com", "تعليق عمر"),
        ("the-daily", "layla@example.com", "Layla's comment on the daily"),
    ):
        response = await client.post(
            f"/v1/sites/{slug}/comments",
            json={"thread": "t", "name": "Layla", "email": email, "body": body},
        )
        assert response.status == 202, await response.text()

    exported = run_cli(
        "data", "export", "--site", "al-akhbar", "--email", "layla@example.com", env=cli_env
    )
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    assert [c["body_text"] for c in document["comments"]] == ["تعليق ليلى الأول"]
    assert document["comments"][0]["email"] == "Layla@example.com"

    erased = run_cli(
        "data",
        "erase",
        "--all-sites",
        "--email",
        "LAYLA@example.com",
        "--mode",
        "delete",
        env=cli_env,
    )
    assert erased.returncode == 0, erased.stderr
    results = json.loads(erased.stdout)
    assert [(r["site"], r["mode"], r["erased"]["comments"]) for r in results] == [
        ("al-akhbar", "delete", 1),
        ("the-daily", "delete", 1),
    ]
    conn = await asyncpg.connect(cli_env["DATABASE_URL"])
    try:
        rows = await conn.fetch(
            "SELECT site_id, email_sealed, email_key, body_text FROM comments ORDER BY body_text"
        )
    finally:
        await conn.close()
    opened = [
        (
            r["body_text"],
            ""
            if r["email_sealed"] is None
            else TEST_KEYS.open(
                Place.COMMENT_EMAIL, r["site_id"], Sealed(r["email_key"], r["email_sealed"])
            ),
        )
        for r in rows
    ]
    assert sorted(opened) == [
        ("Comment removed", ""),
        ("Comment removed", ""),
        ("تعليق عمر", "omar@example.com"),
    ]
    again = run_cli(
        "data", "erase", "--site", "al-akhbar", "--email", "layla@example.com", env=cli_env
    )
    assert json.loads(again.stdout)["erased"]["comments"] == 0  # the same answer, nothing left
    bad = run_cli("data", "erase", "--site", "al-akhbar", "--email", "no address", env=cli_env)
    assert bad.returncode == 2 and "--email" in bad.stderr
    nowhere = run_cli(
        "data", "export", "--site", "nowhere", "--email", "a@example.com", env=cli_env
    )
    assert nowhere.returncode == 1 and "no site 'nowhere'" in nowhere.stderr
    both = run_cli("data", "erase", "--email", "a@example.com", env=cli_env)
    assert both.returncode == 2 and "--site" in both.stderr


READY = {"status": "ready"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "moderation", "serve", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _migrated_port(env: dict[str, str]) -> int:
    """Migrate the test's database; a free port for the service to listen on."""
    conn = await asyncpg.connect(env["DATABASE_URL"])
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return _free_port()


async def _wait_until_up(base: str, process: subprocess.Popen[str]) -> None:
    async with aiohttp.ClientSession() as http:

        async def ready() -> bool:
            if process.poll() is not None:
                _, err = process.communicate()
                raise AssertionError(f"the service exited early:\n{err[-4000:]}")
            try:
                async with http.get(f"{base}/readyz") as response:
                    # Our own answer, not another program's that took the free port meanwhile.
                    ours = response.content_type == "application/json"
                    return response.status == 200 and ours and await response.json() == READY
            except aiohttp.ClientError:
                return False

        await eventually(ready, 15, interval=0.1, message="the service did not come up")


async def test_serve_on_an_embedded_database_prints_a_demo_token_that_works(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODERATION_", "DATABASE_URL"))}
    env.update(
        MODERATION_DATA_DIR=str(tmp_path / "data"), MODERATION_ENV="development", PORT=str(port)
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "moderation", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_up(base, process)
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{base}/v1/sites/demo/comments",
                json={
                    "thread": "a",
                    "name": "نور",
                    "email": "nour@example.com",
                    "body": "أول تعليق",
                },
            ) as response,
        ):
            assert response.status == 202
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    moderator = re.search(r"moderator token: (cmod_\w+)", stderr)
    assert moderator and tokens.is_well_formed(moderator.group(1))
    assert "curl" in stderr
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o077 == 0


async def test_serve_with_a_database_url_never_prints_secrets(cli_env: dict[str, str]) -> None:
    port = await _migrated_port(cli_env)
    process = _serve(cli_env, "--port", str(port))
    try:
        await _wait_until_up(f"http://127.0.0.1:{port}", process)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "cmod_" not in stdout + stderr and TEST_SECRET.decode() not in stdout + stderr
    assert '"event": "request"' in stdout + stderr or '"event":"request"' in (
        stdout + stderr
    ).replace(" ", "")


def test_serve_refuses_to_start_without_a_secret_key(cli_env: dict[str, str]) -> None:
    env = {k: v for k, v in cli_env.items() if k != "MODERATION_SECRET_KEY"}
    result = run_cli("serve", "--port", "1", env=env)
    assert result.returncode == 2 and "MODERATION_SECRET_KEY" in result.stderr


async def test_serve_with_several_workers_shares_one_port(cli_env: dict[str, str]) -> None:
    port = await _migrated_port(cli_env)
    process = _serve(cli_env, "--workers", "2", "--port", str(port))
    try:
        await _wait_until_up(f"http://127.0.0.1:{port}", process)
        async with aiohttp.ClientSession() as http:
            for _ in range(20):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    assert response.status == 200
        children = subprocess.run(
            ["pgrep", "-P", str(process.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert len(children) >= 2
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def test_serve_freezes_what_start_up_built_and_collects_the_young_less_often() -> None:
    script = """
import asyncio, gc
from moderation.cli import GC_YOUNG_THRESHOLD, _settle_collector
asyncio.run(_settle_collector(None))
print(gc.get_threshold()[0] == GC_YOUNG_THRESHOLD, gc.get_freeze_count() > 1000)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.split() == ["True", "True"]
