"""Results: samples, rows with their ratios against the targets, the printed table and the JSON."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadgen import WrkResult
from profiling import Summary


@dataclass(frozen=True, slots=True)
class Sample:
    wrk: WrkResult
    cpu_us: float | None  # server CPU (user + system) per completed request
    # Share of the server core's time spent on anything but the server under test during the
    # run (other people's tests, say): the noise under this figure. None when not pinned.
    others_on_core: float | None = None
    # µs of CPU per accepted comment by stage (ingest with MODERATION_STAGE_TIMING), else None.
    stages: dict[str, float] | None = None


@dataclass(frozen=True, slots=True)
class Ratio:
    label: str  # "× A", "1M/10k p50"
    value: float | None
    goal: float | None  # None: reported, no target
    at_most: bool = False  # depth: lower is better

    @property
    def met(self) -> bool | None:
        if self.goal is None or self.value is None:
            return None
        return self.value <= self.goal if self.at_most else self.value >= self.goal

    def text(self) -> str:
        if self.value is None:
            return f"{self.label}: n/a"
        shown = f"{self.value:,.0f}" if self.value >= 1000 else f"{self.value:.3g}"
        if self.goal is None:
            return f"{shown} {self.label}"
        verdict = {True: "ok", False: "MISS", None: "?"}[self.met]
        sign = "≤" if self.at_most else "≥"
        return f"{shown} {self.label} ({sign}{self.goal:g} {verdict})"


@dataclass(slots=True)
class Row:
    scenario: str
    system: str
    samples: list[Sample] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    note: str = ""
    profile: Summary | None = None
    # For rows measured without wrk (webhook deliveries): the rate and CPU per item.
    rate: float | None = None
    rate_cpu_us: float | None = None
    # The answers this row is meant to get; anything else, and socket errors, are errors.
    expected: frozenset[int] = frozenset({200})

    def errors(self) -> dict[str, int]:
        """Every answer outside `expected`, by status, and socket errors, over all rounds."""
        found = {str(k): v for k, v in self.statuses().items() if k not in self.expected}
        sockets = sum(s.wrk.socket_errors for s in self.samples)
        if sockets:
            found["socket"] = sockets
        return found

    def stages(self) -> dict[str, float] | None:
        """Median over rounds of µs per accepted comment, by stage."""
        measured = [s.stages for s in self.samples if s.stages is not None]
        if not measured:
            return None
        return {k: statistics.median(m[k] for m in measured) for k in measured[0]}

    def median(self, attribute: str) -> float | None:
        values = [getattr(s.wrk, attribute) for s in self.samples]
        return statistics.median(values) if values else None

    @property
    def rps(self) -> float | None:
        return self.median("rps") if self.samples else self.rate

    @property
    def p50_ms(self) -> float | None:
        return self.median("p50_ms")

    @property
    def p99_ms(self) -> float | None:
        return self.median("p99_ms")

    @property
    def cpu_us(self) -> float | None:
        values = [s.cpu_us for s in self.samples if s.cpu_us is not None]
        return statistics.median(values) if values else self.rate_cpu_us

    def statuses(self) -> dict[int, int]:
        total: dict[int, int] = {}
        for sample in self.samples:
            for status, n in sample.wrk.statuses.items():
                total[status] = total.get(status, 0) + n
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "system": self.system,
            "median": {
                "rps": self.rps,
                "p50_ms": self.p50_ms,
                "p99_ms": self.p99_ms,
                "cpu_us_per_request": self.cpu_us,
            },
            "statuses": self.statuses(),
            "errors": self.errors(),
            "stages_us_per_accepted": self.stages(),
            "ratios": [
                {
                    "label": r.label,
                    "value": r.value,
                    "goal": r.goal,
                    "at_most": r.at_most,
                    "met": r.met,
                }
                for r in self.ratios
            ],
            "note": self.note,
            "profile": None if self.profile is None else self.profile.text(""),
            "rounds": [
                {
                    **s.wrk.to_json(),
                    "cpu_us_per_request": s.cpu_us,
                    "others_on_server_core": s.others_on_core,
                    "stages_us_per_accepted": s.stages,
                }
                for s in self.samples
            ],
        }


def ratio(ours: Row, base: Row, label: str, goal: float | None) -> Ratio:
    """median(ours) / median(baseline) over the interleaved rounds."""
    if not ours.rps or not base.rps:
        return Ratio(label, None, goal)
    return Ratio(label, ours.rps / base.rps, goal)


def noise(rows: list[Row]) -> str | None:
    """One line on how much of the server core other processes took during the runs."""
    shares = sorted(
        s.others_on_core for r in rows for s in r.samples if s.others_on_core is not None
    )
    if not shares:
        return None
    median = statistics.median(shares)
    return (
        f"noise: other processes used the server core {median:.0%} of the time during a run "
        f"(median over {len(shares)} runs; worst {shares[-1]:.0%})"
    )


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _errors(row: Row) -> str:
    if not row.samples:
        return "—"
    found = row.errors()
    return " ".join(f"{k}×{v:,}" for k, v in found.items()) if found else "0"


def stage_table(rows: list[Row]) -> str | None:
    """CPU µs per accepted comment by stage, one line per measured row."""
    measured = [(row, stages) for row in rows if (stages := row.stages()) is not None]
    if not measured:
        return None
    names = list(measured[0][1])
    lines = [
        "CPU µs per accepted comment by stage (median over rounds; the rest = the "
        "process's CPU minus the stages: HTTP, event loop, asyncpg's reading, logs, metrics)"
    ]
    for row, stages in measured:
        total = sum(stages.values())
        parts = ", ".join(f"{name} {stages[name]:,.0f}" for name in names)
        lines.append(f"  {row.scenario}, {row.system}: {parts}; total {total:,.0f}")
    return "\n".join(lines)


def table(rows: list[Row]) -> str:
    header = (
        "scenario",
        "system",
        "req/s",
        "p50 ms",
        "p99 ms",
        "CPU µs/req",
        "errors",
        "ratios (target)",
    )
    lines = [header]
    for row in rows:
        extra = "; ".join(r.text() for r in row.ratios)
        if row.note:
            extra = f"{extra}; {row.note}" if extra else row.note
        lines.append(
            (
                row.scenario,
                row.system,
                _number(row.rps),
                _number(row.p50_ms, 2),
                _number(row.p99_ms, 2),
                _number(row.cpu_us),
                _errors(row),
                extra,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header) - 1)]
    out = []
    for n, line in enumerate(lines):
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=False))
        ]
        out.append("  ".join([*cells, line[-1]]).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths) + "  " + "-" * 15)
    return "\n".join(out)


def write_json(directory: Path, stamp: str, document: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bench-{stamp}.json"
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    return path
