"""The dispatcher against a real PostgreSQL and a real receiver on 127.0.0.1: signed delivery of
every event, the retry schedule, failure and manual retry, two dispatchers on one database, a
killed dispatcher, graceful shutdown, SSRF at delivery, and the transactional outbox."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient
from standardwebhooks.webhooks import Webhook
from structlog.testing import capture_logs

from moderation.app import create_app
from moderation.config import ConfigError, Settings
from moderation.db import POOL
from moderation.domain import DeliveryStatus
from moderation.events import ALL_EVENTS
from moderation.store import webhooks as store
from moderation.webhooks import signing
from moderation.webhooks.dispatcher import next_state, retry_after_seconds
from tests.conftest import TEST_SECRET, SiteFixture, approve, make_settings, post_comment, reject
from tests.webhooks.conftest import (
    Receiver,
    Reply,
    StartDispatcher,
    attempts,
    deliveries,
    register,
    settled,
)

pytestmark = pytest.mark.through_pgbouncer

SCHEDULE = (0.2, 0.4, 0.8)  # make_settings' short schedule: 4 attempts at most


def verify(secret: str, request: Any) -> dict[str, Any]:
    return Webhook(secret).verify(request.body, request.headers)  # type: ignore[no-any-return]


async def queue_deliveries(pool: asyncpg.Pool, site: SiteFixture, count: int) -> None:
    """`count` due deliveries to every endpoint of the site, as the outbox writes them."""
    await pool.execute(
        """INSERT INTO webhook_deliveries (site_id, endpoint_id, msg_id, event_type, body,
                                           next_attempt_at)
           SELECT e.site_id, e.id, 'msg_' || md5(random()::text || g), 'comment.created',
                  '{"type":"comment.created","n":' || g || '}', now()
             FROM webhook_endpoints e, generate_series(1, $1) g
            WHERE e.site_id = (SELECT id FROM sites WHERE slug = $2)""",
        count,
        site.slug,
    )
    await pool.execute("SELECT pg_notify('moderation_webhooks', '')")


# Signed delivery ------------------------------------------------------------------------------


async def test_every_event_arrives_signed_and_the_standard_webhooks_library_verifies_it(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    endpoint = await register(client, site, receiver.url)
    await start_dispatcher()
    approved = await post_comment(client, site, body="تعليق سيُقبل", email="sara@example.com")
    await approve(client, site, approved["id"])
    rejected = await post_comment(client, site, body="تعليق سيُرفض", email="omar@example.com")
    await reject(client, site, rejected["id"], reason="spam", note="internal-note-for-moderators")

    requests = await receiver.wait_for(4)
    rows = await settled(client.app[POOL], 4)
    assert {r["status"] for r in rows} == {"succeeded"}
    assert {request.body.decode() for request in requests} == {r["body"] for r in rows}
    events: dict[tuple[str, str], dict[str, Any]] = {}
    for request in requests:
        payload = verify(endpoint["secret"], request)  # raises unless the signature holds
        events[payload["type"], payload["data"]["id"]] = payload
        assert request.headers["content-type"] == "application/json"
        assert request.headers["user-agent"] == signing.USER_AGENT
        assert request.headers["webhook-id"].startswith("msg_")
        assert b"@example.com" not in request.body
        assert b"internal-note-for-moderators" not in request.body
    assert sorted(events) == sorted(
        [
            ("comment.created", approved["id"]),
            ("comment.approved", approved["id"]),
            ("comment.created", rejected["id"]),
            ("comment.rejected", rejected["id"]),
        ]
    )
    created = events["comment.created", approved["id"]]
    assert created["data"]["status"] == "pending" and "reason" not in created["data"]
    assert created["data"]["body_html"] == approved["body_html"]
    datetime.fromisoformat(created["timestamp"])
    accepted = events["comment.approved", approved["id"]]["data"]
    assert accepted["status"] == "approved" and accepted["decided_at"]
    refused = events["comment.rejected", rejected["id"]]["data"]
    assert (refused["status"], refused["reason"]) == ("rejected", "spam")
    assert refused["decided_at"] and "email" not in refused and "note" not in refused


async def test_an_endpoint_only_gets_the_events_it_subscribed_to(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    await register(client, site, receiver.url, events=["comment.approved"])
    await start_dispatcher()
    comment = await post_comment(client, site)
    await approve(client, site, comment["id"])
    await settled(client.app[POOL], 1)
    assert [r.body.count(b'"type":"comment.approved"') for r in receiver.requests] == [1]


# Retries -----------------------------------------------------------------------------------------


async def test_errors_and_timeouts_are_retried_on_the_schedule_with_the_same_webhook_id(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    await register(client, site, receiver.url)
    receiver.script(Reply(500), Reply(200, delay=2.0), Reply(502), Reply(200))
    await start_dispatcher(webhook_timeout=0.5)
    await post_comment(client, site)

    requests = await receiver.wait_for(4, within=8)
    [row] = await settled(client.app[POOL], 1)
    assert (row["status"], row["attempts"]) == ("succeeded", 4)
    assert len({r.msg_id for r in requests}) == 1 == len(requests) - 3
    history = await attempts(client.app[POOL])
    assert [(a["attempt"], a["status_code"], a["error"]) for a in history] == [
        (1, 500, None),
        (2, None, "timeout after 0.5 s"),
        (3, 502, None),
        (4, 200, None),
    ]
    assert 450 <= history[1]["duration_ms"] < 1000
    for previous, following, delay in zip(history, history[1:], SCHEDULE, strict=False):
        ended = previous["at"] + timedelta(milliseconds=previous["duration_ms"])
        waited = (following["at"] - ended).total_seconds()
        assert delay - 0.01 <= waited <= delay + 0.25, (previous["attempt"], waited)


async def test_after_the_last_attempt_a_delivery_fails_and_a_manual_retry_sends_it_again(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    endpoint = await register(client, site, receiver.url)
    receiver.respond = lambda _: Reply(503)
    await start_dispatcher()
    await post_comment(client, site)
    pool = client.app[POOL]

    [row] = await settled(pool, 1)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("failed", 4, None)
    assert row["completed_at"] is not None and len(receiver.requests) == 4
    admin = site.auth(site.admin)
    listed = await (
        await client.get(
            f"/v1/sites/{site.slug}/webhooks/{endpoint['id']}/deliveries",
            params={"status": "failed"},
            headers=admin,
        )
    ).json()
    [failed] = listed["items"]
    assert [a["status_code"] for a in failed["attempts"]] == [503] * 4
    assert failed["next_attempt_at"] is None

    retry = f"/v1/sites/{site.slug}/deliveries/{failed['id']}/retry"
    response = await client.post(retry, headers=admin)
    assert response.status == 202
    assert (await response.json())["status"] == "pending"
    [row] = await settled(pool, 1)  # one more attempt is allowed, and it fails too
    assert (row["status"], row["attempts"], row["attempts_allowed"]) == ("failed", 5, 5)

    receiver.respond = lambda _: Reply(204)
    assert (await client.post(retry, headers=admin)).status == 202
    [row] = await settled(pool, 1)
    assert (row["status"], row["attempts"]) == ("succeeded", 6)
    assert len({r.msg_id for r in receiver.requests}) == 1 and len(receiver.requests) == 6
    again = await client.post(retry, headers=admin)
    assert again.status == 409
    assert (await again.json())["current_status"] == "succeeded"


async def test_retry_after_on_429_replaces_the_scheduled_delay(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    await register(client, site, receiver.url)
    receiver.script(Reply(429, headers={"Retry-After": "1"}), Reply(200))
    await start_dispatcher(webhook_retry_schedule=(0.1, 0.1, 5.0))
    await post_comment(client, site)
    first, second = await receiver.wait_for(2, within=5)
    assert 0.95 <= second.at - first.at <= 1.4


async def test_redirects_are_failures_and_are_not_followed(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    await register(client, site, receiver.url)
    receiver.script(Reply(307, headers={"Location": receiver.url + "/elsewhere"}), Reply(200))
    await start_dispatcher()
    await post_comment(client, site)
    await settled(client.app[POOL], 1)
    assert [r.path for r in receiver.requests] == ["/hook", "/hook"]
    assert [a["status_code"] for a in await attempts(client.app[POOL])] == [307, 200]


async def test_a_huge_answer_is_not_read(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    await register(client, site, receiver.url)
    receiver.script(Reply(200, body=b"x" * (8 * 1024 * 1024)))
    await start_dispatcher()
    await post_comment(client, site)
    [row] = await settled(client.app[POOL], 1)
    assert row["status"] == "succeeded"


def test_the_schedule_counts_attempts_and_retry_after_is_capped() -> None:
    def after(attempt: int, code: int | None = 500, **kwargs: Any) -> Any:
        return next_state(attempt, kwargs.pop("allowed", None), code, None, SCHEDULE, **kwargs)

    assert [after(k) for k in (1, 2, 3)] == [("pending", d) for d in SCHEDULE]
    assert after(4) == ("failed", None)
    assert after(1, None) == ("pending", 0.2)  # an error or a timeout
    assert after(1, 301) == ("pending", 0.2)
    assert all(after(4, code) == ("succeeded", None) for code in (200, 202, 204, 299))
    assert after(5, allowed=6) == ("pending", 0.8) and after(6, allowed=6) == ("failed", None)
    delays = [after(2, jitter=0.1, rng=random.Random(seed))[1] for seed in range(200)]
    assert all(0.36 <= d <= 0.44 for d in delays) and len(set(delays)) > 100
    assert next_state(1, None, 429, 3.0, SCHEDULE) == ("pending", 0.8)  # capped
    assert next_state(1, None, 503, 0.5, SCHEDULE) == ("pending", 0.5)
    assert next_state(1, None, 500, 0.5, SCHEDULE) == ("pending", 0.2)  # only on 429/503
    assert next_state(4, None, 429, 0.5, SCHEDULE) == ("failed", None)


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0
    for junk in (None, "", "soon", "-5", "1.5e3"):
        assert retry_after_seconds(junk, now) is None


# Many dispatchers, and dying ones ---------------------------------------------------------------


async def test_concurrent_claims_never_hand_out_a_delivery_twice(
    client: TestClient, site: SiteFixture, receiver: Receiver, database_url: str
) -> None:
    await register(client, site, receiver.url)
    await queue_deliveries(client.app[POOL], site, 500)
    connections = [await asyncpg.connect(database_url) for _ in range(6)]
    try:

        async def claim_all(conn: asyncpg.Connection) -> list[int]:
            claimed: list[int] = []
            while batch := await store.claim_due(conn, 7, 60.0):
                claimed.extend(c.id for c in batch)
            return claimed

        claims = await asyncio.gather(*(claim_all(conn) for conn in connections))
    finally:
        for conn in connections:
            await conn.close()
    every = [i for claimed in claims for i in claimed]
    assert len(every) == len(set(every)) == 500
    assert sum(1 for claimed in claims if claimed) > 1


async def test_two_dispatchers_on_one_database_never_send_the_same_attempt_twice(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    await register(client, site, receiver.url)
    seen: set[str] = set()

    def first_fails(request: Any) -> Reply:
        # A receiver that takes a moment, so the work outlasts either dispatcher's start-up.
        if request.msg_id in seen:
            return Reply(200, delay=0.03)
        seen.add(request.msg_id)
        return Reply(500, delay=0.03)

    receiver.respond = first_fails
    pool = client.app[POOL]
    await queue_deliveries(pool, site, 200)
    one, two = await asyncio.gather(
        start_dispatcher(webhook_concurrency=8), start_dispatcher(webhook_concurrency=8)
    )

    rows = await settled(pool, 200, within=20)
    assert {(r["status"], r["attempts"]) for r in rows} == {("succeeded", 2)}
    sent: dict[str, list[float]] = {}
    for request in receiver.requests:
        sent.setdefault(request.msg_id, []).append(request.at)
    assert len(sent) == 200
    for times in sent.values():  # attempt 1, then attempt 2 after the schedule's first delay
        assert len(times) == 2 and times[1] - times[0] >= SCHEDULE[0] - 0.01
    history = await attempts(pool)
    assert Counter((a["attempt"], a["status_code"]) for a in history) == {
        (1, 500): 200,
        (2, 200): 200,
    }
    for running in (one, two):
        succeeded = running.metrics.webhook_attempts.labels("succeeded")._value.get()
        assert succeeded > 0  # both took part


def worker_environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODERATION_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url,
        MODERATION_WEBHOOK_ALLOW_PRIVATE="1",
        MODERATION_SECRET_KEY=TEST_SECRET.decode(),
        **extra,
    )
    return env


async def start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "moderation",
        "worker",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_killed_worker_leaves_a_lease_that_expires_and_the_delivery_is_sent_again(
    client: TestClient,
    site: SiteFixture,
    receiver: Receiver,
    start_dispatcher: StartDispatcher,
    database_url: str,
) -> None:
    await register(client, site, receiver.url)
    receiver.script(Reply(200, delay=10.0))  # the worker dies while waiting for this answer
    await post_comment(client, site)
    env = worker_environment(
        database_url, MODERATION_WEBHOOK_TIMEOUT="1", MODERATION_WEBHOOK_LEASE_SECONDS="2"
    )
    worker = await start_worker(env)
    try:
        await receiver.wait_for(1, within=20)
    finally:
        worker.kill()
        await worker.communicate()
    pool = client.app[POOL]
    [row] = await deliveries(pool)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["locked_until"] > datetime.now(UTC)

    await start_dispatcher()
    first, second = await receiver.wait_for(2, within=5)
    [row] = await settled(pool, 1)
    assert (row["status"], row["attempts"]) == ("succeeded", 2)
    assert second.msg_id == first.msg_id  # receivers dedupe on webhook-id
    assert second.at - first.at >= 1.5  # not before the lease ran out
    assert [a["attempt"] for a in await attempts(pool)] == [2]  # attempt 1 died with the worker


async def test_a_worker_finishes_its_in_flight_delivery_on_sigterm_and_exits_0(
    client: TestClient, site: SiteFixture, receiver: Receiver, database_url: str
) -> None:
    await register(client, site, receiver.url)
    receiver.script(Reply(200, delay=0.5))
    await post_comment(client, site)
    worker = await start_worker(worker_environment(database_url))
    try:
        await receiver.wait_for(1, within=20)
        worker.send_signal(signal.SIGTERM)
        async with asyncio.timeout(10):
            out, err = await worker.communicate()
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.communicate()
    assert worker.returncode == 0, err.decode()
    [row] = await deliveries(client.app[POOL])
    assert (row["status"], row["attempts"]) == ("succeeded", 1)
    assert b"webhook_dispatcher_stopped" in out
    assert b"whsec_" not in out + err


async def test_a_send_unfinished_at_the_end_of_the_grace_period_is_released_uncounted(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    await register(client, site, receiver.url)
    receiver.script(Reply(200, delay=5.0))
    running = await start_dispatcher(shutdown_grace=0.2)
    await post_comment(client, site)
    await receiver.wait_for(1)
    async with asyncio.timeout(2):
        await running.stop()
    pool = client.app[POOL]
    [row] = await deliveries(pool)
    assert (row["status"], row["attempts"], row["locked_until"]) == ("pending", 0, None)
    assert await attempts(pool) == []

    await start_dispatcher()  # due at once, not after a lease
    [row] = await settled(pool, 1, within=3)
    assert (row["status"], row["attempts"]) == ("succeeded", 1)
    assert receiver.requests[0].msg_id == receiver.requests[1].msg_id


async def test_a_stale_dispatcher_cannot_overwrite_a_newer_claim(
    client: TestClient, site: SiteFixture, receiver: Receiver
) -> None:
    await register(client, site, receiver.url)
    await post_comment(client, site)
    pool = client.app[POOL]
    async with pool.acquire() as conn:
        [stale] = await store.claim_due(conn, 10, 0.0)  # a lease that has already run out
        [fresh] = await store.claim_due(conn, 10, 60.0)
        assert (stale.id, stale.attempt, fresh.attempt) == (fresh.id, 1, 2)
        late = store.Result(
            site_id=stale.site_id,
            id=stale.id,
            endpoint_id=stale.endpoint_id,
            attempt=stale.attempt,
            status=DeliveryStatus.SUCCEEDED,
            delay=None,
            at=datetime.now(UTC),
            status_code=200,
            error=None,
            duration_ms=5.0,
        )
        assert await store.record_results(conn, [late]) == 0
    [row] = await deliveries(pool)
    assert (row["status"], row["attempts"]) == ("pending", 2)
    assert row["locked_until"] is not None


# The app's own dispatcher, metrics and logs ------------------------------------------------------


async def test_serve_runs_a_dispatcher_that_logs_and_counts_each_attempt(
    aiohttp_client: Any,
    client: TestClient,
    site: SiteFixture,
    receiver: Receiver,
    database_url: str,
) -> None:
    endpoint = await register(client, site, receiver.url)
    receiver.script(Reply(500))
    serving = await aiohttp_client(create_app(make_settings(database_url, webhook_workers=True)))
    with capture_logs() as logs:
        await post_comment(serving, site)
        await settled(client.app[POOL], 1)
    lines = [line for line in logs if line["event"] == "webhook_attempt"]
    assert [(line["attempt"], line["status"], line["outcome"]) for line in lines] == [
        (1, 500, "retried"),
        (2, 200, "succeeded"),
    ]
    assert all(line["endpoint_id"] == int(endpoint["id"]) for line in lines)
    assert all(line["delivery_id"] and line["duration_ms"] >= 0 for line in lines)
    assert endpoint["secret"] not in repr(logs)
    text = await (await serving.get("/metrics")).text()
    assert 'moderation_webhook_deliveries_total{outcome="succeeded"} 1.0' in text
    assert 'moderation_webhook_deliveries_total{outcome="retried"} 1.0' in text
    assert "moderation_webhook_attempt_duration_seconds_count 2.0" in text


async def test_metrics_report_the_age_of_the_oldest_due_delivery(
    client: TestClient, site: SiteFixture, receiver: Receiver
) -> None:
    def gauge(text: str) -> float:
        [line] = [ln for ln in text.splitlines() if ln.startswith("moderation_webhook_oldest_due")]
        return float(line.split()[-1])

    assert gauge(await (await client.get("/metrics")).text()) == 0
    await register(client, site, receiver.url)
    await post_comment(client, site)
    await client.app[POOL].execute(
        "UPDATE webhook_deliveries SET next_attempt_at = now() - interval '90 seconds'"
    )
    assert 90 <= gauge(await (await client.get("/metrics")).text()) < 100


# Server-side request forgery at delivery ---------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"], ids=["ip", "name", "mapped"]
)
async def test_a_private_destination_is_refused_at_delivery_and_recorded_as_blocked(
    client: TestClient,
    site: SiteFixture,
    receiver: Receiver,
    start_dispatcher: StartDispatcher,
    host: str,
) -> None:
    pool = client.app[POOL]
    port = receiver.url.split(":")[-1].split("/")[0]
    # Registration would refuse it; a row written before a policy change is not trusted either.
    await pool.execute(
        """INSERT INTO webhook_endpoints (site_id, url, events, secret)
           SELECT id, $2, $3, $4 FROM sites WHERE slug = $1""",
        site.slug,
        f"http://{host}:{port}/hook",
        list(ALL_EVENTS),
        signing.new_secret(),
    )
    running = await start_dispatcher(webhook_allow_private=False, webhook_retry_schedule=(0.1,))
    await post_comment(client, site)
    [row] = await settled(pool, 1)
    assert (row["status"], row["attempts"]) == ("failed", 2)
    history = await attempts(pool)
    assert all(a["error"].startswith("blocked: ") and a["status_code"] is None for a in history)
    assert receiver.requests == []
    assert running.metrics.webhook_attempts.labels("blocked")._value.get() == 2


# The transactional outbox ----------------------------------------------------------------------


async def test_an_event_exists_exactly_when_its_change_was_committed(
    client: TestClient, site: SiteFixture, receiver: Receiver
) -> None:
    await register(client, site, receiver.url)
    pool = client.app[POOL]
    pending = await post_comment(client, site, body="قبل الفشل")
    # Fail every transaction that wrote a delivery, at COMMIT: after the change and its event
    # were both written, so only a shared transaction can keep them together.
    await pool.execute(
        """CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN RAISE EXCEPTION 'commit refused by the test'; END $$;
           CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON webhook_deliveries
               DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit();"""
    )
    try:
        submitted = await client.post(
            f"/v1/sites/{site.slug}/comments",
            json={"thread": "t", "name": "ن", "email": "n@example.com", "body": "لن يُحفظ"},
        )
        decided = await client.post(f"/v1/comments/{pending['id']}/approve", headers=site.auth())
    finally:
        await pool.execute("DROP TRIGGER fail_commit ON webhook_deliveries")
        await pool.execute("DROP FUNCTION fail_commit()")
    assert (submitted.status, decided.status) == (500, 500)
    assert await pool.fetchval("SELECT count(*) FROM comments") == 1
    assert await pool.fetchval("SELECT status FROM comments") == "pending"
    assert [r["event_type"] for r in await deliveries(pool)] == ["comment.created"]

    # Racing moderators: the losers' transactions roll back, and so do their events.
    path = f"/v1/comments/{pending['id']}"
    responses = await asyncio.gather(
        *(
            client.post(f"{path}/approve", headers=site.auth())
            if i % 2
            else client.post(f"{path}/reject", json={"reason": "spam"}, headers=site.auth())
            for i in range(8)
        )
    )
    assert sorted(r.status for r in responses) == [200] + [409] * 7
    events = [r["event_type"] for r in await deliveries(pool)]
    assert events[0] == "comment.created" and len(events) == 2
    assert events[1] in ("comment.approved", "comment.rejected")


async def test_spam_caught_by_the_honeypot_sends_nothing(
    client: TestClient, site: SiteFixture, receiver: Receiver
) -> None:
    await register(client, site, receiver.url)
    await post_comment(client, site, url="http://bot.example")
    assert await deliveries(client.app[POOL]) == []


# Configuration and the command -------------------------------------------------------------------


def test_dispatcher_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "MODERATION_WEBHOOK_TIMEOUT": "1",
            "MODERATION_WEBHOOK_LEASE_SECONDS": "2.5",
            "MODERATION_WEBHOOK_CONCURRENCY": "7",
            "MODERATION_WEBHOOK_RETRY_JITTER": "0",
            "MODERATION_WEBHOOK_WORKERS": "0",
            "MODERATION_SHUTDOWN_GRACE": "3",
        }
    )
    assert (
        settings.webhook_timeout,
        settings.webhook_lease,
        settings.webhook_concurrency,
        settings.webhook_retry_jitter,
        settings.webhook_workers,
        settings.shutdown_grace,
    ) == (1.0, 2.5, 7, 0.0, False, 3.0)
    defaults = Settings.from_env({})
    assert defaults.webhook_workers and defaults.webhook_lease > defaults.webhook_timeout
    for bad in (
        {"MODERATION_WEBHOOK_LEASE_SECONDS": "15"},  # not longer than the 15 s timeout
        {"MODERATION_WEBHOOK_LEASE_SECONDS": "soon"},
        {"MODERATION_WEBHOOK_CONCURRENCY": "0"},
        {"MODERATION_WEBHOOK_RETRY_JITTER": "1"},
        {"MODERATION_SHUTDOWN_GRACE": "-1"},
    ):
        with pytest.raises(ConfigError):
            Settings.from_env(bad)


def test_the_worker_command_has_help_and_needs_a_database_url() -> None:
    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "moderation", "worker", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    helped = run("--help", env=dict(os.environ))
    assert helped.returncode == 0 and "--concurrency" in helped.stdout
    bare = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    refused = run(env=bare)
    assert refused.returncode == 2 and "DATABASE_URL" in refused.stderr
