"""wrk: run one bounded load against one URL and parse what it printed."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LUA_DIR = Path(__file__).resolve().parent / "lua"
INSTALL_HINT = "wrk is missing: install it with `apt-get update && apt-get install -y wrk`"

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DISTRIBUTION = re.compile(r"^\s+(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.M)
_TOTAL = re.compile(r"^\s+(\d+) requests in ([\d.]+)(us|ms|s|m),", re.M)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.M)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_STATUS = re.compile(r"^status (\d+) (\d+)$", re.M)


class WrkError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int] = field(default_factory=dict)
    non_2xx_3xx: int = 0
    socket_errors: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkError(INSTALL_HINT)
    return path


def parse(output: str) -> WrkResult:
    distribution = {int(p): float(v) * _UNITS_MS[u] for p, v, u in _DISTRIBUTION.findall(output)}
    total, rps = _TOTAL.search(output), _RPS.search(output)
    if total is None or rps is None or 50 not in distribution or 99 not in distribution:
        raise WrkError(f"could not read wrk's output:\n{output}")
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET.search(output)
    return WrkResult(
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * _UNITS_MS[total.group(3)] / 1000,
        rps=float(rps.group(1)),
        p50_ms=distribution[50],
        p99_ms=distribution[99],
        statuses={int(s): int(n) for s, n in _STATUS.findall(output)},
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


def run(
    url: str,
    script: str,
    data: Path,
    *,
    seconds: float,
    connections: int,
    pin: list[str],
    run_id: str,
) -> WrkResult:
    """One wrk run: one thread, `connections` keep-alive connections, stops after `seconds`."""
    argv = [
        *pin,
        require_wrk(),
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA_DIR / script),
        url,
        "--",
        str(data),
        run_id,
    ]
    # cwd: the scripts load their shared part (statuses.lua) by a relative path.
    done = subprocess.run(
        argv, cwd=LUA_DIR, capture_output=True, text=True, timeout=seconds + 30, check=False
    )
    if done.returncode != 0:
        raise WrkError(f"wrk failed ({done.returncode}): {done.stderr.strip()}\n{done.stdout}")
    return parse(done.stdout)
