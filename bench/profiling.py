"""Optional (--profile): py-spy samples the service during one extra, unrecorded run per
scenario, and the collapsed stacks are summarised as the functions that dominate its time."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

RATE = 200  # samples a second
# The entry point and the event loop: on every stack, so they say nothing.
PLUMBING = frozenset(
    {
        "<module>",
        "main",
        "_serve",
        "run_app",
        "BaseEventLoop.run_until_complete",
        "BaseEventLoop.run_forever",
        "BaseEventLoop._run_once",
        "Handle._run",
        "_run_app",
        "run",
        "BaseProcess._bootstrap",
        "BaseProcess.run",
        "Popen._launch",
        "Popen.__init__",
        "spawn_main",
        "_main",
    }
)
_PROCESS = re.compile(r'^(?:process \d+:"[^"]*";)+')
INSTALL_HINT = "py-spy is missing: .venv/bin/pip install py-spy (sampling needs root or ptrace)"


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def start(pid: int, seconds: float, out: Path, pin: list[str]) -> subprocess.Popen[bytes]:
    tool = py_spy()
    assert tool is not None, INSTALL_HINT
    argv = [*pin, tool, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    # Blocking sampling (py-spy's default) pauses the server for each sample so stacks are
    # whole; this run is not recorded. raw: collapsed stacks, one "a;b;c count" a line.
    # --subprocesses: `serve --workers N` answers from child processes.
    argv += ["--native"] * bool(os.environ.get("BENCH_NATIVE"))
    argv += ["--rate", str(RATE), "--subprocesses", "--format", "raw", "--output", str(out)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@dataclass(frozen=True, slots=True)
class Summary:
    samples: int
    busy: float  # samples taken / samples one process could give: cores' worth the server used
    self_time: list[tuple[float, str]]  # share of samples where this frame was running
    inclusive: list[tuple[float, str]]  # share of samples where this frame was on the stack

    def text(self, indent: str = "    ") -> str:
        lines = [
            f"{indent}{self.samples} samples, the server on CPU for {self.busy:.0%} of one core; "
            "self time:"
        ]
        lines += [f"{indent}  {share:6.1%}  {frame}" for share, frame in self.self_time]
        lines.append(f"{indent}inclusive (on the stack; entry point and event loop left out):")
        lines += [f"{indent}  {share:6.1%}  {frame}" for share, frame in self.inclusive]
        return "\n".join(lines)


def _short(frame: str) -> str:
    # "render_body (moderation/text/render.py:120)" → keep function and path, drop venv prefix
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in frame:
            name, _, where = frame.partition(" (")
            return f"{name} ({where.split(marker, 1)[-1]}"
    return frame


def _function(frame: str) -> str:
    """A frame without its line number, so one function's lines count together."""
    name, _, where = _short(frame).partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def summarize(collapsed: Path, seconds: float, top: int = 12) -> Summary | None:
    try:
        lines = collapsed.read_text(errors="replace").splitlines()
    except OSError:
        return None
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in lines:
        # --subprocesses puts `process PID:"command line"` first; the command line may hold ';'.
        line = _PROCESS.sub("", line)
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_function(f) for f in stack.split(";") if f]
        if frames:
            leaf[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    if total == 0:
        return None
    # Also leave out whatever is on (nearly) every stack: some other entry point.
    telling = [
        (n, f)
        for f, n in inclusive.items()
        if f.split(" (")[0] not in PLUMBING and n < 0.98 * total
    ]
    telling.sort(reverse=True)
    return Summary(
        total,
        total / (seconds * RATE),
        [(n / total, f) for f, n in leaf.most_common(top)],
        [(n / total, f) for n, f in telling[:top]],
    )
