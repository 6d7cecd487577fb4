"""Real PostgreSQL-side servers started by the tests on 127.0.0.1: a PgBouncer in transaction
mode in front of the test server, and a primary with a streaming replica of its own."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

START_SECONDS = 30.0
PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def with_address(url: str, host: str, port: int) -> str:
    parts = urlsplit(url)
    userinfo, at, _ = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{host}:{port}"))


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {START_SECONDS}s")


def _as_postgres_user() -> list[str]:
    """PostgreSQL and PgBouncer refuse to run as root: drop to the `postgres` user there."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root without runuser to start servers as postgres")
    return [runuser, "-u", "postgres", "--"]


def _owned_temp_dir(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    return folder


def pgbouncer_binary() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if found is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    return found


@contextlib.contextmanager
def pgbouncer(server_url: str) -> Iterator[str]:
    """A PgBouncer in transaction mode in front of the server; yields the server URL through it."""
    binary = pgbouncer_binary()
    upstream = urlsplit(server_url)
    if upstream.hostname is None:
        # The embedded server of `make test` without TEST_DATABASE_URL listens only on a socket
        # in its private data directory, which PgBouncer (run as another user) cannot reach.
        pytest.skip(
            "PgBouncer needs a PostgreSQL on TCP: set TEST_DATABASE_URL (.ci/run does); the "
            "embedded test server listens only on a private socket"
        )
    user = upstream.username or "postgres"
    folder = _owned_temp_dir("moderation-pgbouncer-")
    port = free_port()
    # PgBouncer logs in to the server with the password the URL carries, if any.
    (folder / "users.txt").write_text(f'"{user}" "{upstream.password or ""}"\n')
    (folder / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={upstream.hostname or "127.0.0.1"} port={upstream.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {folder / "users.txt"}
pool_mode = transaction
default_pool_size = 20
max_client_conn = 500
server_reset_query =
ignore_startup_parameters = extra_float_digits
logfile = {folder / "pgbouncer.log"}
pidfile = {folder / "pgbouncer.pid"}
"""
    )
    for path in folder.iterdir():
        if os.geteuid() == 0:
            shutil.chown(path, "postgres", "postgres")
    process = subprocess.Popen(
        [*_as_postgres_user(), binary, str(folder / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield with_address(server_url, "127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _pg_binary(name: str) -> str:
    for folder in PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"PostgreSQL's {name} is not installed")
    return found


def _run(command: list[str]) -> None:
    subprocess.run(
        [*_as_postgres_user(), *command], check=True, capture_output=True, timeout=START_SECONDS * 2
    )


@contextlib.contextmanager
def _cluster(data: Path, port: int) -> Iterator[str]:
    pg_ctl = _pg_binary("pg_ctl")
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
    _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(data / "server.log"), "-w", "start"])
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        _run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"])


@contextlib.contextmanager
def primary_with_replica() -> Iterator[tuple[str, str]]:
    """A fresh primary cluster and a streaming replica of it (pg_basebackup -R), each on a free
    port; yields both server URLs."""
    initdb = _pg_binary("initdb")
    basebackup = _pg_binary("pg_basebackup")
    folder = _owned_temp_dir("moderation-replication-")
    primary_data, replica_data = folder / "primary", folder / "replica"
    try:
        _run([initdb, "-D", str(primary_data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        with (primary_data / "postgresql.conf").open("a") as conf:
            conf.write("wal_level = replica\nmax_wal_senders = 4\nfsync = off\n")
        primary_port, replica_port = free_port(), free_port()
        with _cluster(primary_data, primary_port) as primary:
            address = ["-h", "127.0.0.1", "-p", str(primary_port), "-U", "postgres"]
            _run(
                [basebackup, *address, "-D", str(replica_data), "-R", "-X", "stream", "-c", "fast"]
            )
            with _cluster(replica_data, replica_port) as replica:
                yield primary, replica
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 5432
