"""How long and how often: the full run (≤ 20 minutes) and the quick one (≤ 4 minutes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Plan:
    quick: bool
    rounds: int  # interleaved rounds per scenario (A, ours, A, ours, ...)
    seconds: float  # one wrk run
    warmup: float  # one unrecorded wrk run per system before the rounds
    connections: int  # wrk keep-alive connections for throughput scenarios
    depth_sizes: tuple[int, int]  # comments in the table: small, large
    depth_seconds: float  # one wrk run at 1 connection, per query and size
    depth_rounds: int
    budget_seconds: float  # scenarios that would not fit are skipped and say so

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


FULL = Plan(
    quick=False,
    rounds=3,
    seconds=10,
    warmup=2,
    connections=64,
    depth_sizes=(10_000, 1_000_000),
    depth_seconds=4,
    depth_rounds=3,
    budget_seconds=18 * 60,
)
QUICK = Plan(
    quick=True,
    rounds=2,
    seconds=3,
    warmup=1,
    connections=64,
    depth_sizes=(10_000, 100_000),
    depth_seconds=2,
    depth_rounds=2,
    budget_seconds=210,
)
