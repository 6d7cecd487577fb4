"""The scenarios of the issue, each a function that returns table rows with their targets."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import json
import os
import shutil
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import aiohttp
import asyncpg
import depth
import ours
import pytest
import workload
from bodies import Body
from isso_peer import Isso
from processes import Server
from report import Ratio, Row, ratio
from runner import Bench, Load, OutOfTime, progress


@dataclass(slots=True)
class Systems:
    """Everything the setup started, and what the scenarios need to address it."""

    workdir: Path
    log_dir: Path
    database_url: str
    server_url: str
    bodies: list[Body]
    markup_bodies: list[Body]  # every body with allowed and disallowed markup (bodies.py)
    moderation: ours.Moderation
    # The same service with MODERATION_STAGE_TIMING=1, measured apart so that the timing's
    # own cost (a clock read per step) stays out of the figures of `moderation`.
    timed: ours.Moderation
    tokens: ours.Tokens
    baseline_a: Server
    baseline_b: Server
    receiver: Server
    isso: Isso | None
    thread: str
    etag: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def ours(self) -> Server:
        assert self.moderation.server is not None
        return self.moderation.server

    def data(self, name: str) -> Path:
        return self.workdir / f"{name}.lua"


def root(server: Server) -> str:
    """http://127.0.0.1:PORT/ of a server, from the URL it was probed at."""
    scheme, _, rest = server.ready_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/"


def _load(
    bench: Bench, system: str, server: Server, script: str, data: Path, stages: str | None = None
) -> Load:
    return Load(system, server, root(server), script, data, bench.plan.connections, stages)


def _expect(rows: list[Row], expected: dict[str, set[int]]) -> None:
    """The answers each row is meant to get: the table counts every other one as an error."""
    for row in rows:
        row.expected = frozenset(expected.get(row.system, {200}))


def thread_read(bench: Bench, s: Systems) -> list[Row]:
    """Target 1: a 100-comment thread, ≥ 250× Isso and ≥ 0.7× A; the 304 path ≥ 0.9× A."""
    path = f"/v1/sites/{ours.SITE}/comments?thread={quote(s.thread, safe='')}&limit=100"
    read = workload.write_lua_data(s.data("read"), [(path,)])
    loads = [
        _load(bench, "A (GET)", s.baseline_a, "get.lua", read),
        _load(bench, "ours", s.ours, "get.lua", read),
    ]
    if s.etag:
        revalidate = workload.write_lua_data(
            s.data("read-304"), [(path,)], headers={"If-None-Match": s.etag}
        )
        loads.append(_load(bench, "ours (304)", s.ours, "get.lua", revalidate))
    if s.isso is not None:
        isso_read = workload.write_lua_data(s.data("isso-read"), [(s.isso.thread_path,)])
        loads.append(_load(bench, "Isso", s.isso.running, "get.lua", isso_read))
    rows = bench.interleave("thread read", loads)
    _expect(rows, {"ours (304)": {304}})
    by = {row.system: row for row in rows}
    mine = by["ours"]
    if "Isso" in by:
        mine.ratios.append(ratio(mine, by["Isso"], "× Isso", 250))
    mine.ratios.append(ratio(mine, by["A (GET)"], "× A", 0.7))
    if "ours (304)" in by:
        not_modified = by["ours (304)"]
        not_modified.ratios.append(ratio(not_modified, by["A (GET)"], "× A", 0.9))
        if not_modified.statuses().get(304, 0) == 0:
            not_modified.note = "no 304 seen: If-None-Match not honoured"
    else:
        rows.append(Row("thread read", "ours (304)", note="n/a: no ETag on the thread read"))
    return rows


def ingest(bench: Bench, s: Systems) -> list[Row]:
    """Target 2: the realistic mix through the full POST pipeline, ≥ 0.4× B and ≥ 8× Isso."""
    return _ingest(bench, s, "ingest", "ingest", s.bodies, b_goal=0.4, isso_goal=8)


def ingest_markup(bench: Bench, s: Systems) -> list[Row]:
    """Target 2b: every body with allowed and disallowed markup, 9 in 10 with a URL: ≥ 0.2× B
    and ≥ 4× Isso."""
    return _ingest(
        bench, s, "ingest (markup)", "ingest-markup", s.markup_bodies, b_goal=0.2, isso_goal=4
    )


def _ingest(
    bench: Bench,
    s: Systems,
    scenario: str,
    name: str,
    texts: list[Body],
    *,
    b_goal: float,
    isso_goal: float,
) -> list[Row]:
    posts = workload.ingest_data(s.data(name), ours.SITE, texts)
    loads = [
        _load(bench, "B", s.baseline_b, "post.lua", posts),
        _load(bench, "ours", s.ours, "post.lua", posts),
    ]
    if s.isso is not None:
        isso_posts = workload.write_lua_data(
            s.data(f"isso-{name}"),
            workload.isso_posts(texts),
            headers=s.isso.headers,
            unique=True,
        )
        loads.append(_load(bench, "Isso", s.isso.running, "post.lua", isso_posts))
    rows = bench.interleave(scenario, loads)
    assert s.timed.server is not None
    timed = _load(bench, "ours (stage timing)", s.timed.server, "post.lua", posts)
    timed = dataclasses.replace(timed, stages_url=s.timed.stages_url)
    rows += bench.interleave(f"{scenario}: stages", [timed], rounds=1, warmup=1, profile=False)
    rows[-1].scenario = scenario
    rows[-1].note = "one run of an instance timing its stages (below); not in the ratios"
    _expect(rows, {"B": {202}, "ours": {202}, "ours (stage timing)": {202}, "Isso": {201, 202}})
    by = {row.system: row for row in rows}
    mine = by["ours"]
    mine.ratios.append(ratio(mine, by["B"], "× B", b_goal))
    if "Isso" in by:
        mine.ratios.append(ratio(mine, by["Isso"], "× Isso", isso_goal))
    return rows


def queue_page(bench: Bench, s: Systems) -> list[Row]:
    """Target 5: the moderator queue's first page of 50 (the ingest scenarios filled it, or a
    short ingest run here when they did not run), ≥ 0.1× A's GET."""
    if asyncio.run(_pending(s.database_url, ours.SITE)) < QUEUE_PAGE + 1:
        fill = workload.ingest_data(s.data("queue-fill"), ours.SITE, s.bodies)
        bench.measure(_load(bench, "fill", s.ours, "post.lua", fill), 3)
        pending = asyncio.run(_pending(s.database_url, ours.SITE))
        s.notes.append(f"queue page: {pending:,} pending comments after a 3 s ingest to fill it")
    queue = workload.write_lua_data(
        s.data("queue"),
        [(f"/v1/sites/{ours.SITE}/queue?status=pending&limit={QUEUE_PAGE}",)],
        headers={"Authorization": f"Bearer {s.tokens.moderator}"},
    )
    loads = [
        _load(bench, "A (GET)", s.baseline_a, "get.lua", queue),
        _load(bench, "ours", s.ours, "get.lua", queue),
    ]
    rows = bench.interleave("queue page of 50", loads)
    _expect(rows, {})
    rows[1].ratios.append(ratio(rows[1], rows[0], "× A", 0.1))
    return rows


QUEUE_PAGE = 50


async def _pending(database_url: str, site: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        count = await conn.fetchval(
            """SELECT count(*) FROM comments c JOIN sites s ON s.id = c.site_id
                WHERE s.slug = $1 AND c.status = 'pending'""",
            site,
        )
    finally:
        await conn.close()
    return int(count)


def flood(bench: Bench, s: Systems) -> list[Row]:
    """Target 3: a rate-limited client's 429 ≥ 0.6× A (which answers the same POST with 202)."""
    posts = workload.write_lua_data(
        s.data("flood"),
        workload.flood_posts(ours.FLOOD_SITE, s.bodies[:200]),
        headers={"Content-Type": "application/json"},
    )
    loads = [
        _load(bench, "A (POST)", s.baseline_a, "post.lua", posts),
        _load(bench, "ours (429)", s.ours, "post.lua", posts),
    ]
    rows = bench.interleave("flood", loads)
    # The flooder's first post of a run (and one each flood_seconds) is accepted.
    _expect(rows, {"A (POST)": {202}, "ours (429)": {202, 429}})
    mine = rows[1]
    statuses = mine.statuses()
    if statuses.get(429, 0) == 0:
        mine.note = f"n/a: no 429 seen (answers {statuses})"
        mine.ratios.append(Ratio("× A", None, 0.6))
    else:
        share = statuses[429] / sum(statuses.values())
        mine.ratios.append(ratio(mine, rows[0], "× A", 0.6))
        mine.note = f"{share:.1%} of answers were 429"
    return rows


DEPTH_QUERIES = ("queue first page", "queue deep page", "thread read (uncached)")


def _depth_paths(seeded: depth.Seeded) -> dict[str, list[str]]:
    queue = f"/v1/sites/{ours.SITE}/queue?status=pending&limit=50"
    # 99, not 100: the page cache keeps only the usual page sizes (10/20/25/50/100/200), and with
    # 100 the 5,000 cursors were all cached within seconds, so later rounds measured the cache.
    thread = f"/v1/sites/{ours.SITE}/comments?thread={quote(depth.HOT_THREAD, safe='')}&limit=99"
    return dict(
        zip(
            DEPTH_QUERIES,
            (
                [queue],
                [f"{queue}&cursor={seeded.deep_cursor}"],
                [f"{thread}&cursor={cursor}" for cursor in seeded.thread_cursors],
            ),
            strict=True,
        )
    )


async def _check(base: str, token: str, paths: dict[str, list[str]]) -> dict[str, str]:
    found = {}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        for name, variants in paths.items():
            async with http.get(base + variants[0]) as response:
                items = len((await response.json()).get("items", [])) if response.ok else 0
                found[name] = f"{response.status}, {items} items"
    return found


def depth_scenario(bench: Bench, s: Systems) -> list[Row]:
    """Target 4: latency at 1 connection with the large table within 1.5× of the small one.

    Both tables exist at once (two databases, one instance each), so the small and the large
    are measured interleaved like every other pair."""
    plan = bench.plan
    small, large = plan.depth_sizes
    runs = 2 * len(DEPTH_QUERIES) * (1 + plan.depth_rounds * plan.depth_seconds + 1)
    bench.reserve(runs + large / 25_000 + 20, "depth")
    instances: list[ours.Moderation] = []
    loads: dict[tuple[str, int], Load] = {}
    try:
        for size in (small, large):
            name = f"moderation_bench_depth_{_short(size).lower()}"
            url = asyncio.run(_recreate(s.server_url, name))
            instance = ours.Moderation(url, s.log_dir, name=f"moderation-depth-{_short(size)}")
            instances.append(instance)
            tokens = instance.prepare([ours.SITE, "depth-other"])
            progress(f"  depth: seeding {size:,} comments by COPY ...")
            seeded = asyncio.run(depth.seed(url, ours.SITE, "depth-other", size, s.bodies))
            s.notes.append(
                f"depth: {size:,} rows seeded in {seeded.seconds:.1f}s; deep page after queue "
                f"position {seeded.deep_position:,}"
            )
            paths = _depth_paths(seeded)
            server = instance.start(bench.placement.pin(bench.placement.server_cpu))
            checks = asyncio.run(_check(instance.base, tokens.moderator, paths))
            s.notes.append(
                f"depth @{size:,}: " + ", ".join(f"{k} → {v}" for k, v in checks.items())
            )
            headers = {"Authorization": f"Bearer {tokens.moderator}"}
            for i, (query, variants) in enumerate(paths.items()):
                data = workload.write_lua_data(
                    s.data(f"depth-{size}-{i}"), [(p,) for p in variants], headers=headers
                )
                loads[(query, size)] = Load(
                    f"ours @{size:,}", server, root(server), "get.lua", data, 1
                )
        result = []
        label = f"{_short(large)}/{_short(small)} p50"
        for query in DEPTH_QUERIES:
            low, high = bench.interleave(
                f"depth: {query}",
                [loads[(query, small)], loads[(query, large)]],
                rounds=plan.depth_rounds,
                seconds=plan.depth_seconds,
                warmup=1,
                profile=False,
            )
            value = high.p50_ms / low.p50_ms if high.p50_ms and low.p50_ms else None
            high.ratios.append(Ratio(label, value, 1.5, at_most=True))
            result += [low, high]
    finally:
        for instance in instances:
            instance.stop()
        for size in (small, large):
            asyncio.run(_drop(s.server_url, f"moderation_bench_depth_{_short(size).lower()}"))
    if plan.quick:
        result[-1].note = f"QUICK: {small:,} vs {large:,} rows (full run: 10,000 vs 1,000,000)"
    return result


def _short(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


async def _recreate(server_url: str, name: str) -> str:
    import database

    return await database.recreate(server_url, name)


async def _drop(server_url: str, name: str) -> None:
    import database

    await database.drop(server_url, name)


# ---------------------------------------------------------------------------------------------
# Target 5: webhooks (n/a while `moderation.webhooks.dispatcher` does not exist).
# ---------------------------------------------------------------------------------------------
WEBHOOK_GOAL = 1_000  # deliveries per second from one dispatcher
MIN_RATE = 250  # give up waiting when slower than this


def deliveries(bench: Bench) -> int:
    return 3_000 if bench.plan.quick else 10_000


def dispatcher_available() -> bool:
    try:
        return importlib.util.find_spec("moderation.webhooks.dispatcher") is not None
    except ImportError:
        return False


def webhooks(bench: Bench, s: Systems) -> list[Row]:
    if not dispatcher_available():
        return [Row("webhooks", "ours", note="n/a: moderation.webhooks.dispatcher does not exist")]
    bench.reserve(deliveries(bench) / MIN_RATE + 15, "webhooks")
    return [measure_dispatcher(bench, s)]


def measure_dispatcher(bench: Bench, s: Systems) -> Row:
    """One dispatcher, a full outbox, a receiver that answers 200 at once.

    Cancels what the earlier scenarios left pending in the outbox, queues `deliveries` rows for
    the receiver's endpoint (the columns of sql/0004_webhooks.sql), starts one instance with
    its dispatcher on (`start_dispatcher`), and times the receiver from its first delivery to
    its last. CHECK here if the outbox gains required columns or the dispatcher moves.
    """
    count = deliveries(bench)
    asyncio.run(_queue_deliveries(s.database_url, count))
    before = _receiver_stats(s.receiver)["received"]
    instance = start_dispatcher(bench, s)
    try:
        server = instance.server
        assert server is not None
        deadline = time.monotonic() + count / MIN_RATE + 5
        stats = _receiver_stats(s.receiver)
        while stats["received"] - before < count and time.monotonic() < deadline:
            time.sleep(0.25)
            stats = _receiver_stats(s.receiver)
        cpu = server.cpu_seconds()  # since start: includes its start-up, a fraction of a second
    finally:
        instance.stop()
    delivered = int(stats["received"] - before)
    span = (stats["last"] or 0) - (stats["first"] or 0)
    rate = (delivered - 1) / span if span > 0 and delivered > 1 else None
    row = Row(
        "webhooks", "ours (1 dispatcher)", rate=rate, rate_cpu_us=cpu / max(delivered, 1) * 1e6
    )
    row.ratios.append(Ratio("deliveries/s", rate, WEBHOOK_GOAL))
    row.note = f"{delivered:,}/{count:,} delivered to the receiver"
    return row


def start_dispatcher(bench: Bench, s: Systems) -> ours.Moderation:
    """One `moderation serve` with its in-process dispatcher on (the default deployment), on
    the servers' core; the main instance keeps its dispatcher off and sits idle meanwhile."""
    instance = ours.Moderation(
        s.database_url,
        s.log_dir,
        name="moderation-dispatcher",
        dispatcher=True,
        secret_key=s.moderation.env["MODERATION_SECRET_KEY"],
    )
    instance.start(bench.placement.pin(bench.placement.server_cpu))
    return instance


async def _queue_deliveries(database_url: str, count: int) -> None:
    event = {
        "type": "comment.created",
        "timestamp": "2026-01-01T00:00:00Z",
        "data": {
            "id": "1",
            "site": ours.SITE,
            "body_html": '<div dir="rtl">' + "ن" * 500 + "</div>",
        },
    }
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(
            "UPDATE webhook_deliveries SET status = 'cancelled' WHERE status = 'pending'"
        )
        await conn.execute(
            """INSERT INTO webhook_deliveries (site_id, endpoint_id, msg_id, event_type, body,
                                               next_attempt_at)
               SELECT e.site_id, e.id, 'msg_bench_' || g, 'comment.created', $2, now()
                 FROM webhook_endpoints e, generate_series(1, $1) g
                WHERE e.site_id = (SELECT id FROM sites WHERE slug = $3)""",
            count,
            json.dumps(event, ensure_ascii=False),
            ours.SITE,
        )
    finally:
        await conn.close()


def _receiver_stats(receiver: Server) -> dict[str, float]:
    with urllib.request.urlopen(root(receiver) + "stats", timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# Target 6: scale-out, once `moderation serve --workers N` exists.
# ---------------------------------------------------------------------------------------------
def scale_out(bench: Bench, s: Systems) -> list[Row]:
    if "--workers" not in ours.serve_help():
        return [Row("scale-out", "ours", note="n/a: `moderation serve --help` has no --workers")]
    workers = os.cpu_count() or 2
    bench.reserve(2 * (bench.plan.warmup + bench.plan.rounds * bench.plan.seconds), "scale-out")
    many = ours.Moderation(
        s.database_url,
        s.log_dir,
        name=f"moderation-{workers}-workers",
        secret_key=s.moderation.env["MODERATION_SECRET_KEY"],
    )
    # N workers need every core: they cannot be pinned apart from wrk, and the note says so.
    server = many.start([], extra=["--workers", str(workers)])
    try:
        path = f"/v1/sites/{ours.SITE}/comments?thread={quote(s.thread, safe='')}&limit=100"
        read = workload.write_lua_data(s.data("scale-read"), [(path,)])
        loads = [
            _load(bench, "ours (1 worker)", s.ours, "get.lua", read),
            _load(bench, f"ours ({workers} workers)", server, "get.lua", read),
        ]
        rows = bench.interleave("scale-out: thread read", loads)
    finally:
        many.stop()
    rows[1].ratios.append(ratio(rows[1], rows[0], "× 1 worker", None))
    rows[1].note = "workers not pinned (they need every core, wrk included)"
    return rows


def skipped(scenario: str, error: OutOfTime) -> list[Row]:
    return [Row(scenario, "—", note=str(error))]


# ---------------------------------------------------------------------------------------------
# Scale-out: the same service through PgBouncer (transaction mode), against it straight.
# ---------------------------------------------------------------------------------------------
def through_pgbouncer(bench: Bench, s: Systems) -> list[Row]:
    """Ingest, the (cached) thread read and the moderator queue (a query per request), each
    through a PgBouncer in transaction mode against the pinned instance that goes straight, and
    against one that goes straight without the statement cache (what PgBouncer 1.18 needs), so
    the pooler's hop and the cache's absence show apart."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import servers  # the tests' PgBouncer starter, so both run the same one

    if shutil.which("pgbouncer") is None and not Path("/usr/sbin/pgbouncer").exists():
        return [Row("pgbouncer", "ours", note="n/a: pgbouncer is not installed")]
    plan = bench.plan
    bench.reserve(3 * 3 * (plan.warmup + plan.rounds * plan.seconds) + 15, "pgbouncer")
    pin = bench.placement.pin(bench.placement.server_cpu)
    try:
        with servers.pgbouncer(s.server_url) as pooled_server:
            pooled_url = servers.with_address(s.database_url, *servers.address(pooled_server))
            return _pooled_instances(bench, s, pin, pooled_url)
    except pytest.skip.Exception as skipped:  # the tests' starter: no PostgreSQL on TCP
        return [Row("pgbouncer", "ours", note=f"n/a: {skipped.msg}")]


def _pooled_instances(bench: Bench, s: Systems, pin: list[str], pooled_url: str) -> list[Row]:
    instances = []
    try:
        for name, url in (
            ("moderation-uncached", s.database_url),
            ("moderation-pgbouncer", pooled_url),
        ):
            instance = ours.Moderation(
                url, s.log_dir, name=name, secret_key=s.moderation.env["MODERATION_SECRET_KEY"]
            )
            instance.env["MODERATION_DIRECT_DATABASE_URL"] = s.database_url
            instance.env["MODERATION_DATABASE_STATEMENT_CACHE_SIZE"] = "0"
            instances.append(instance)
            instance.start(pin)
        uncached, pooled = (instance.server for instance in instances)
        assert uncached is not None and pooled is not None
        return _pooled_rows(bench, s, uncached, pooled)
    finally:
        for instance in instances:
            instance.stop()


def _pooled_rows(bench: Bench, s: Systems, uncached: Server, pooled: Server) -> list[Row]:
    posts = workload.ingest_data(s.data("pooled-ingest"), ours.SITE, s.bodies)
    thread = f"/v1/sites/{ours.SITE}/comments?thread={quote(s.thread, safe='')}&limit=100"
    read = workload.write_lua_data(s.data("pooled-read"), [(thread,)])
    queue = workload.write_lua_data(
        s.data("pooled-queue"),
        [(f"/v1/sites/{ours.SITE}/queue?status=pending&limit=50",)],
        headers={"Authorization": f"Bearer {s.tokens.moderator}"},
    )
    rows: list[Row] = []
    for name, script, data in (
        ("pgbouncer: ingest", "post.lua", posts),
        ("pgbouncer: thread read", "get.lua", read),
        ("pgbouncer: queue page", "get.lua", queue),
    ):
        direct, no_cache, through = trio = bench.interleave(
            name,
            [
                _load(bench, "ours (direct)", s.ours, script, data),
                _load(bench, "ours (direct, no cache)", uncached, script, data),
                _load(bench, "ours (PgBouncer)", pooled, script, data),
            ],
        )
        if script == "post.lua":
            for row in trio:
                row.expected = frozenset({202})
        no_cache.ratios.append(ratio(no_cache, direct, "× direct", None))
        through.ratios.append(ratio(through, direct, "× direct", None))
        through.note = "statement cache off; PgBouncer's own CPU not counted (not pinned)"
        rows += [direct, no_cache, through]
    return rows
