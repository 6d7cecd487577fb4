"""Measuring: one wrk run with the server's CPU read around it, and systems run interleaved
(A, ours, A, ours, ...) so a machine that drifts moves both sides of a ratio alike."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import loadgen
import profiling
from plan import Plan
from processes import Placement, Server, core_seconds
from report import Row, Sample


@dataclass(frozen=True, slots=True)
class Load:
    system: str
    server: Server
    base_url: str
    script: str  # "post.lua" | "get.lua"
    data: Path
    connections: int
    stages_url: str | None = None  # the server's stage totals (MODERATION_STAGE_TIMING)


def read_stages(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=5) as response:
        totals = json.loads(response.read())
    return {"accepted": float(totals["accepted"]), **totals["ns"]}


def per_accepted(
    before: dict[str, float], after: dict[str, float], cpu_seconds: float
) -> dict[str, float] | None:
    """µs per accepted comment by stage, and the rest of the process's CPU."""
    accepted = after["accepted"] - before["accepted"]
    if accepted <= 0:
        return None
    stages = {k: (after[k] - before[k]) / accepted / 1000 for k in after if k != "accepted"}
    stages["the rest"] = cpu_seconds / accepted * 1e6 - sum(stages.values())
    return stages


class OutOfTime(Exception):
    pass


class Bench:
    def __init__(self, plan: Plan, placement: Placement, profile_dir: Path | None = None) -> None:
        self.plan = plan
        self.placement = placement
        self.profile_dir = profile_dir
        self.started = time.monotonic()
        self._runs = 0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return self.plan.budget_seconds - self.elapsed

    def reserve(self, seconds: float, what: str) -> None:
        """Refuse to start a step that would not end within the time budget."""
        if seconds > self.remaining():
            raise OutOfTime(f"skipped: {what} needs ~{seconds:.0f}s, {self.remaining():.0f}s left")

    def measure(self, load: Load, seconds: float) -> Sample:
        self._runs += 1
        core = self.placement.server_cpu
        core_before = core_seconds(core) if core is not None else None
        stages_before = read_stages(load.stages_url) if load.stages_url else None
        before = load.server.cpu_seconds()
        result = loadgen.run(
            load.base_url,
            load.script,
            load.data,
            seconds=seconds,
            connections=load.connections,
            pin=self.placement.pin(self.placement.load_cpu),
            run_id=str(self._runs),
        )
        cpu = load.server.cpu_seconds() - before
        stages = None
        if load.stages_url and stages_before is not None:
            stages = per_accepted(stages_before, read_stages(load.stages_url), cpu)
        per_request = cpu / result.requests * 1e6 if result.requests else None
        others = None
        if core is not None and core_before is not None:
            busy_after, total_after = core_seconds(core)
            busy, total = busy_after - core_before[0], total_after - core_before[1]
            others = max(0.0, min(1.0, (busy - cpu) / total)) if total > 0 else None
        return Sample(result, per_request, others, stages)

    def interleave(
        self,
        scenario: str,
        loads: list[Load],
        *,
        rounds: int | None = None,
        seconds: float | None = None,
        warmup: float | None = None,
        profile: bool = True,
    ) -> list[Row]:
        """Warm each system once, then `rounds` rounds of every system in turn."""
        plan = self.plan
        rounds = rounds or plan.rounds
        seconds = seconds or plan.seconds
        warmup = warmup or plan.warmup
        profile = profile and self.profile_dir is not None
        cost = len(loads) * (warmup + rounds * seconds + 0.5 * (rounds + 1))
        if profile:
            cost += sum(seconds + 2 for load in loads if load.system.startswith("ours"))
        self.reserve(cost, scenario)
        rows = [Row(scenario, load.system) for load in loads]
        for load in loads:
            self.measure(load, warmup)
        for round_number in range(rounds):
            for load, row in zip(loads, rows, strict=True):
                sample = self.measure(load, seconds)
                row.samples.append(sample)
                progress(
                    f"  {scenario} round {round_number + 1}/{rounds} {load.system}: "
                    f"{sample.wrk.rps:,.0f} req/s, p50 {sample.wrk.p50_ms:.2f} ms, "
                    f"{sample.cpu_us or 0:,.0f} µs CPU/req, answers {sample.wrk.statuses}"
                )
        if profile:
            for load, row in zip(loads, rows, strict=True):
                if load.system.startswith("ours"):
                    row.profile = self.profile(scenario, load)
        return rows

    def profile(self, scenario: str, load: Load) -> profiling.Summary | None:
        """One extra run, not recorded, with py-spy sampling the server throughout."""
        assert self.profile_dir is not None
        slug = re.sub(r"[^a-z0-9]+", "-", f"{scenario} {load.system}".lower()).strip("-")
        out = self.profile_dir / f"{slug}.txt"
        pin = self.placement.pin(self.placement.load_cpu)
        spy = profiling.start(load.server.pid, self.plan.seconds, out, pin)
        self.measure(load, self.plan.seconds + 1)
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
        return profiling.summarize(out, self.plan.seconds)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
