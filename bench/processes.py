"""Server processes of the bench: start pinned to a core, wait until ready, read CPU time, stop."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Placement:
    """Which core the servers under test get and which one the load generator gets."""

    server_cpu: int | None
    load_cpu: int | None
    note: str

    def pin(self, cpu: int | None) -> list[str]:
        return [] if cpu is None else ["taskset", "-c", str(cpu)]


def choose_placement() -> Placement:
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return Placement(None, None, f"not pinned: only {len(allowed)} core available")
    if shutil.which("taskset") is None:
        return Placement(None, None, "not pinned: taskset is missing (apt-get install util-linux)")
    server, load = allowed[-1], allowed[0]
    return Placement(
        server, load, f"servers under test on core {server}, wrk and the receiver on core {load}"
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or parentheses.
    return raw[raw.rindex(")") + 2 :].split()


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its live descendants (gunicorn's worker too)."""
    ticks = 0
    for member in descendants(pid):
        fields = _stat_fields(member)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def core_seconds(cpu: int) -> tuple[float, float]:
    """(busy, total) seconds of one core since boot, from /proc/stat."""
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name == f"cpu{cpu}":
            ticks = [int(v) for v in values[:8]]  # user nice system idle iowait irq softirq steal
            idle = ticks[3] + ticks[4]
            return (sum(ticks) - idle) / CLOCK_TICKS, sum(ticks) / CLOCK_TICKS
    raise ValueError(f"no cpu{cpu} in /proc/stat")


def pin_tree(pid: int, cpu: int) -> None:
    """Pin a running process and its children; processes it forks later inherit the pin."""
    for member in descendants(pid):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(member, {cpu})


class Server:
    """One server process: its own session, output to a log file, stopped by its pid."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_dir: Path,
        ready_url: str,
        pin: Sequence[str] = (),
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = [*pin, *argv]
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.ready_url = ready_url
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def start(self, timeout: float = 60.0) -> Server:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.ready_url, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered: a 4xx on the probe path still means it is up
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} was not ready within {timeout:.0f}s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        return tree_cpu_seconds(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 15.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
