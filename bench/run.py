"""`make bench`: start everything on 127.0.0.1, run the scenarios, print one table, write JSON.

.venv/bin/python bench/run.py [--quick] [--profile] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bodies
import database
import isso_peer
import loadgen
import ours
import profiling
import report
import scenarios
from plan import FULL, QUICK
from processes import Placement, Server, choose_placement, free_port
from runner import Bench, OutOfTime, progress

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
THREAD = "news/2026/hot-thread"
THREAD_COMMENTS = 100
BODIES = 2000


def _python_server(
    name: str, script: str, args: list[str], placement: Placement, log_dir: Path, *, cpu: int | None
) -> Server:
    port = free_port()
    probe = "/stats" if script == "receiver.py" else "/healthz"
    return Server(
        name,
        [sys.executable, str(HERE / script), "--port", str(port), *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        log_dir=log_dir,
        ready_url=f"http://127.0.0.1:{port}{probe}",
        pin=placement.pin(cpu),
    )


def _header(plan_name: str, bench: Bench, facts: dict[str, Any]) -> str:
    plan = bench.plan
    pin = bench.placement
    lines = [
        f"moderation bench ({plan_name}) — {facts['started']}, {platform.node()}, "
        f"{os.cpu_count()} cores",
        f"  each system: {plan.warmup:g}s warm-up, then {plan.rounds} interleaved rounds of "
        f"wrk -t1 -c{plan.connections} -d{plan.seconds:g}s; figures are medians over rounds; "
        "ratio = median(ours) / median(baseline)",
        f"  placement: {pin.note}"
        + (
            f" (taskset -c {pin.server_cpu} / -c {pin.load_cpu})"
            if pin.server_cpu is not None
            else ""
        ),
        f"  database: {facts['database']}; PostgreSQL {facts['durability'].get('server_version')}, "
        f"fsync={facts['durability'].get('fsync')}, "
        f"synchronous_commit={facts['durability'].get('synchronous_commit')}",
        f"  ours: moderation serve, 1 process, LOG_LEVEL=WARNING (no per-request log lines), "
        f"pool max {ours.POOL_MAX_SIZE}, webhook dispatcher off (the webhooks scenario runs its "
        f"own instance); A/B: bare aiohttp (B pool max {ours.POOL_MAX_SIZE}); "
        f"Isso {facts.get('isso_version', 'n/a')}: gunicorn -w 1 (sync), guard and moderation off",
        f"  bodies: {facts['bodies']}",
    ]
    lines += [f"  setup: {note}" for note in facts["notes"]]
    return "\n".join(lines)


def _start_systems(
    bench: Bench,
    db: database.DatabaseServer,
    facts: dict[str, Any],
    workdir: Path,
    log_dir: Path,
    texts: list[bodies.Body],
    stops: list[Callable[[], None]],
) -> scenarios.Systems:
    placement = bench.placement
    url = asyncio.run(database.recreate(db.url, "moderation_bench"))
    facts["durability"] = asyncio.run(database.durability(url))
    progress("starting the receiver, baselines A and B, the service and Isso ...")

    def python_server(name: str, script: str, args: list[str], cpu: int | None) -> Server:
        server = _python_server(name, script, args, placement, log_dir, cpu=cpu)
        stops.append(server.stop)
        return server.start()

    receiver = python_server("receiver", "receiver.py", [], placement.load_cpu)
    baseline_a = python_server("baseline-a", "baselines.py", ["a"], placement.server_cpu)
    baseline_b = python_server(
        "baseline-b",
        "baselines.py",
        ["b", "--database-url", url, "--pool-max-size", str(ours.POOL_MAX_SIZE)],
        placement.server_cpu,
    )
    service = ours.Moderation(url, log_dir)
    tokens = service.prepare([ours.SITE, ours.FLOOD_SITE])
    stops.append(service.stop)
    service.start(placement.pin(placement.server_cpu))
    timed = ours.Moderation(
        url,
        log_dir,
        name="moderation-stage-timing",
        secret_key=service.env["MODERATION_SECRET_KEY"],
        stage_timing=True,
    )
    stops.append(timed.stop)
    timed.start(placement.pin(placement.server_cpu))
    setup = ours.Setup()
    hook_url = scenarios.root(receiver) + "hook"
    asyncio.run(ours.raise_limits(service.base, tokens.admin, setup))
    asyncio.run(ours.register_webhook(service.base, tokens.admin, hook_url, setup))
    seeded = asyncio.run(
        ours.seed_thread(service.base, tokens.moderator, THREAD, texts, THREAD_COMMENTS)
    )
    setup.notes.append(
        f"thread {THREAD!r}: {seeded['items']} approved comments, {seeded['bytes']:,} bytes, "
        f"ETag {'present' if seeded['etag'] else 'absent'}"
    )
    isso = None
    if "isso_version" in facts:
        isso = isso_peer.Isso(workdir, log_dir)
        stops.append(isso.stop)
        isso.start(placement.pin(placement.server_cpu))
        replies = asyncio.run(isso.seed_thread(texts, THREAD_COMMENTS))
        setup.notes.append(f"Isso thread: {replies} comments")
    facts["notes"] += setup.notes
    return scenarios.Systems(
        workdir=workdir,
        log_dir=log_dir,
        database_url=url,
        server_url=db.url,
        bodies=texts,
        markup_bodies=bodies.make_markup_bodies(BODIES),
        moderation=service,
        timed=timed,
        tokens=tokens,
        baseline_a=baseline_a,
        baseline_b=baseline_b,
        receiver=receiver,
        isso=isso,
        thread=THREAD,
        etag=seeded["etag"],
    )


SCENARIOS = (
    "thread read",
    "ingest",
    "ingest (markup)",
    "queue page",
    "flood",
    "depth",
    "webhooks",
    "scale-out",
    "pgbouncer",
)
ISSO_SCENARIOS = {"thread read", "ingest", "ingest (markup)"}


def _run_scenarios(
    bench: Bench, systems: scenarios.Systems, only: set[str] | None = None
) -> list[report.Row]:
    steps: list[tuple[str, Callable[[], list[report.Row]]]] = [
        ("thread read", lambda: scenarios.thread_read(bench, systems)),
        ("ingest", lambda: scenarios.ingest(bench, systems)),
        ("ingest (markup)", lambda: scenarios.ingest_markup(bench, systems)),
        ("queue page", lambda: scenarios.queue_page(bench, systems)),
        ("flood", lambda: scenarios.flood(bench, systems)),
        ("depth", lambda: scenarios.depth_scenario(bench, systems)),
        ("webhooks", lambda: scenarios.webhooks(bench, systems)),
        ("scale-out", lambda: scenarios.scale_out(bench, systems)),
        ("pgbouncer", lambda: scenarios.through_pgbouncer(bench, systems)),
    ]
    rows: list[report.Row] = []
    for name, step in steps:
        if only is not None and name not in only:
            continue
        progress(f"[{bench.elapsed:5.0f}s] {name} ...")
        try:
            rows += step()
        except OutOfTime as exc:
            rows += scenarios.skipped(name, exc)
        except Exception as exc:
            traceback.print_exc()
            rows.append(report.Row(name, "—", note=f"failed: {type(exc).__name__}: {exc}"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="≤ 3 minutes: shorter, smaller depth")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temp dir, and the bench databases on BENCH_DATABASE_URL",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="after each scenario, one extra run of ours under py-spy; summaries after the table",
    )
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help=f"comma-separated scenarios to run, of: {', '.join(SCENARIOS)}",
    )
    args = parser.parse_args()
    only = None if args.only is None else {n.strip() for n in args.only.split(",") if n.strip()}
    if only is not None and not only <= set(SCENARIOS):
        parser.error(f"--only: unknown scenario(s) {', '.join(sorted(only - set(SCENARIOS)))}")
    plan = QUICK if args.quick else FULL
    try:
        loadgen.require_wrk()
    except loadgen.WrkError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2

    placement = choose_placement()
    profile_dir = None
    if args.profile:
        if profiling.py_spy() is None:
            print(f"bench: {profiling.INSTALL_HINT}", file=sys.stderr)
            return 2
        profile_dir = RESULTS / "profiles"
        shutil.rmtree(profile_dir, ignore_errors=True)
        profile_dir.mkdir(parents=True)
    bench = Bench(plan, placement, profile_dir)
    started = datetime.now(UTC)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    log_dir = RESULTS / "logs"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    workdir = Path(tempfile.mkdtemp(prefix="moderation-bench-"))
    texts = bodies.make_bodies(BODIES)
    mix = bodies.describe(texts)
    heavy = bodies.describe(bodies.make_markup_bodies(BODIES))
    facts: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "bodies": f"{BODIES} rotating, {mix['arabic']:.0%} Arabic, {mix['plain']:.0%} plain / "
        f"{mix['link']:.0%} link / {mix['markup']:.0%} markup, mean {mix['mean_chars']:.0f} chars; "
        f"markup-heavy: {BODIES} rotating, {heavy['arabic']:.0%} Arabic, all with allowed and "
        "disallowed markup, a javascript: link and inline styles, "
        f"{heavy['with_url']:.0%} with a URL, mean {heavy['mean_chars']:.0f} chars; every body "
        "carries 3 words no earlier request carried (lua/post.lua)",
        "notes": [],
    }
    rows: list[report.Row] = []
    stops: list[Callable[[], None]] = []
    failure = None
    try:
        if only is not None and not only & ISSO_SCENARIOS:
            raise RuntimeError("not needed by the scenarios asked for")
        facts["isso_version"] = isso_peer.ensure_installed()
    except Exception as exc:  # the peer is optional: its rows say why they are missing
        facts["notes"].append(f"Isso not available: {exc}")
    try:
        with database.database_server(placement, workdir) as db:
            facts["database"] = db.description
            try:
                systems = _start_systems(bench, db, facts, workdir, log_dir, texts, stops)
                rows = _run_scenarios(bench, systems, only)
                facts["notes"] += systems.notes
            except Exception as exc:
                traceback.print_exc()
                failure = f"{type(exc).__name__}: {exc}"
            finally:
                while stops:
                    stops.pop()()
            if not args.keep:
                asyncio.run(database.drop(db.url, "moderation_bench"))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    if failure is not None:
        print(f"bench: could not start the systems under test: {failure}", file=sys.stderr)
        print(f"bench: server logs are in {log_dir}/", file=sys.stderr)
        return 1
    print()
    print(_header("QUICK" if plan.quick else "full", bench, facts))
    print()
    print(report.table(rows))
    if (line := report.noise(rows)) is not None:
        print(line)
    if (stages := report.stage_table(rows)) is not None:
        print()
        print(stages)
    for row in rows:
        if row.profile is not None:
            print(f"\nprofile of {row.system} in {row.scenario!r} (py-spy, one extra run):")
            print(row.profile.text())
    document = {
        "started": facts["started"],
        "duration_seconds": round(bench.elapsed, 1),
        "plan": plan.to_json(),
        "placement": {
            "server_cpu": placement.server_cpu,
            "load_cpu": placement.load_cpu,
            "note": placement.note,
        },
        "facts": facts,
        "rows": [row.to_json() for row in rows],
    }
    path = report.write_json(RESULTS, stamp, document)
    print()
    where = HERE.parent
    print(
        f"took {bench.elapsed:.0f}s; JSON: {path.relative_to(where)}; "
        f"server logs: {log_dir.relative_to(where)}/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
