"""Two checkouts of the service, interleaved on one database: is a change worth keeping?

.venv/bin/python bench/ab.py BASE [--scenario ingest|markup|queue|flood] [--rounds 4] [--seconds 5]

BASE is a commit (`git archive`d into a temp dir and run by this venv's Python); the other side
is this working tree. Both instances run pinned like `make bench`'s, take turns under the same
wrk load, and the table gives each one's req/s, CPU µs per request and, for ingest, CPU µs per
accepted comment by stage: on a machine shared with other work, CPU per request and same-run
ratios move far less than req/s do.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import bodies
import database
import ours
import report
import workload
from plan import QUICK
from processes import choose_placement
from runner import Bench, Load, progress
from scenarios import root

HERE = Path(__file__).resolve().parent


def _export(commit: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", commit, "moderation", "sql"],
        cwd=HERE.parent,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument(
        "--scenario", default="ingest", choices=["ingest", "markup", "queue", "flood"]
    )
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    placement = choose_placement()
    bench = Bench(QUICK, placement)
    workdir = Path(tempfile.mkdtemp(prefix="moderation-ab-"))
    log_dir = workdir / "logs"
    log_dir.mkdir()
    instances: list[ours.Moderation] = []
    try:
        base = _export(args.base, workdir / "base")
        with database.database_server(placement, workdir) as db:
            url = asyncio.run(database.recreate(db.url, "moderation_bench_ab"))
            key = secrets.token_urlsafe(48)
            timing = args.scenario in ("ingest", "markup")
            new = ours.Moderation(
                url, log_dir, name="this-tree", secret_key=key, stage_timing=timing
            )
            old = ours.Moderation(
                url, log_dir, name="base", secret_key=key, source=base, stage_timing=timing
            )
            instances += [old, new]
            tokens = new.prepare([ours.SITE, ours.FLOOD_SITE])
            pin = placement.pin(placement.server_cpu)
            for instance in instances:
                instance.start(pin)
            setup = ours.Setup()
            asyncio.run(ours.raise_limits(new.base, tokens.admin, setup))
            asyncio.run(ours.register_webhook(new.base, tokens.admin, "http://127.0.0.1:9/", setup))
            texts = bodies.make_markup_bodies(2000) if args.scenario == "markup" else None
            texts = texts or bodies.make_bodies(2000)
            if args.scenario == "queue":
                fill = workload.ingest_data(workdir / "fill.lua", ours.SITE, texts)  # a queue
                assert new.server is not None
                bench.measure(Load("fill", new.server, new.base + "/", "post.lua", fill, 16), 3)
                data = workload.write_lua_data(
                    workdir / "queue.lua",
                    [(f"/v1/sites/{ours.SITE}/queue?status=pending&limit=50",)],
                    headers={"Authorization": f"Bearer {tokens.moderator}"},
                )
                script = "get.lua"
            elif args.scenario == "flood":
                data = workload.write_lua_data(
                    workdir / "flood.lua",
                    workload.flood_posts(ours.FLOOD_SITE, texts[:200]),
                    headers={"Content-Type": "application/json"},
                )
                script = "post.lua"
            else:
                data = workload.ingest_data(workdir / "posts.lua", ours.SITE, texts)
                script = "post.lua"
            loads = []
            for label, instance in (("base " + args.base, old), ("this tree", new)):
                assert instance.server is not None
                stages = instance.stages_url if timing else None
                loads.append(
                    Load(label, instance.server, root(instance.server), script, data, 64, stages)
                )
            rows = bench.interleave(
                args.scenario, loads, rounds=args.rounds, seconds=args.seconds, warmup=2
            )
            expected = {"flood": {202, 429}, "queue": {200}}.get(args.scenario, {202})
            for row in rows:
                row.expected = frozenset(expected)
            rows[1].ratios.append(report.ratio(rows[1], rows[0], "× base", None))
            if rows[0].cpu_us and rows[1].cpu_us:
                rows[1].note = f"CPU/req {rows[1].cpu_us / rows[0].cpu_us:.3f} × base"
            print(report.table(rows))
            if (line := report.noise(rows)) is not None:
                print(line)
            if (stages_text := report.stage_table(rows)) is not None:
                print(stages_text)
            for instance in instances:
                instance.stop()
            asyncio.run(database.drop(db.url, "moderation_bench_ab"))
    finally:
        for instance in instances:
            instance.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    progress("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
