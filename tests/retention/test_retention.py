"""Retention (issue 13) on a real PostgreSQL: each setting does its job and nothing more, null
keeps forever, a dry run changes nothing, two sweepers at once purge each row once, and the
public thread and the queue stay as they should. Age comes from SQL that back-dates rows."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from moderation import service
from moderation.app import create_app
from moderation.db import POOL
from moderation.domain import Role, SiteSettings
from moderation.metrics import METRICS
from moderation.retention import sweep_forever, sweep_once
from moderation.threadcache import THREADS
from tests.authors.conftest import ARTICLE, link_in, set_settings
from tests.authors.test_data_subjects import (
    SARA,
    columns_holding,
    export,
    needles,
    sara_everywhere,
    site_id,
    thread,
)
from tests.authors.test_statements_and_appeals import confirmed_author, hook, reject
from tests.conftest import TEST_SECRET, SiteFixture, approve, make_settings, make_site, post_comment
from tests.mail.conftest import MailServer
from tests.mail.test_worker import start_worker, worker_env
from tests.servers import free_port
from tests.support import eventually
from tests.test_cli import run_cli

FIELDS = (
    "retain_ip_days",
    "retain_email_days",
    "purge_rejected_days",
    "purge_spam_days",
    "purge_unverified_days",
    "retain_deliveries_days",
)
KEEP_EVERYTHING = dict.fromkeys(FIELDS)


async def back_date(
    pool: asyncpg.Pool, table: str, column: str, ids: list[str] | list[int], days: float
) -> None:
    await pool.execute(
        f"UPDATE {table} SET {column} = now() - make_interval(days => $2) "
        "WHERE id = any($1::bigint[])",
        [int(i) for i in ids],
        days,
    )


async def sweep(client: TestClient, site: SiteFixture, *, dry_run: bool = False) -> dict[str, int]:
    done = await service.retention.sweep(
        client.app[POOL], site_slug=site.slug, dry_run=dry_run, threads=client.app[THREADS]
    )
    return done[site.slug]


async def moderator_view(client: TestClient, site: SiteFixture, comment_id: str) -> Any:
    response = await client.get(f"/v1/comments/{comment_id}", headers=site.auth())
    assert response.status == 200, await response.text()
    return await response.json()


async def ip_of(client: TestClient, comment_id: str) -> str | None:
    value = await client.app[POOL].fetchval(
        "SELECT host(client_ip) FROM comments WHERE id = $1", int(comment_id)
    )
    return None if value is None else str(value)


async def queue(client: TestClient, site: SiteFixture) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/sites/{site.slug}/queue", headers=site.auth())
    assert response.status == 200, await response.text()
    return list((await response.json())["items"])


async def test_the_settings_have_their_documented_defaults_and_take_days_or_null(
    client: TestClient, site: SiteFixture
) -> None:
    path = f"/v1/sites/{site.slug}/settings"
    shown = await (await client.get(path, headers=site.auth(site.admin))).json()
    assert {k: shown[k] for k in FIELDS} == {
        "retain_ip_days": 30,
        "retain_email_days": None,
        "purge_rejected_days": 90,
        "purge_spam_days": 7,
        "purge_unverified_days": 7,
        "retain_deliveries_days": 30,
    }
    changed = await client.patch(
        path,
        json={"retain_ip_days": 1, "retain_email_days": 365, "purge_spam_days": None},
        headers=site.auth(site.admin),
    )
    assert changed.status == 200, await changed.text()
    again = await (await client.get(path, headers=site.auth(site.admin))).json()
    assert {k: again[k] for k in FIELDS} == {
        "retain_ip_days": 1,
        "retain_email_days": 365,
        "purge_rejected_days": 90,
        "purge_spam_days": None,
        "purge_unverified_days": 7,
        "retain_deliveries_days": 30,
    }
    assert again["hourly_limit"] == shown["hourly_limit"]  # the others as they were


async def test_bad_retention_values_are_422s_naming_the_field(
    client: TestClient, site: SiteFixture
) -> None:
    path = f"/v1/sites/{site.slug}/settings"
    for field in FIELDS:
        for bad in ("30", "", -1, 0, 1.5, 30.0, 3651, 10**20, True, False, [30], {"days": 30}):
            response = await client.patch(path, json={field: bad}, headers=site.auth(site.admin))
            assert response.status == 422, (field, bad, await response.text())
            assert response.content_type == "application/problem+json"
            problem = await response.json()
            assert [e["field"] for e in problem["errors"]] == [field]
            assert "1 to 3,650" in problem["errors"][0]["message"]
    ok = await client.patch(path, json=dict.fromkeys(FIELDS, 3650), headers=site.auth(site.admin))
    assert ok.status == 200


async def test_ip_addresses_are_forgotten_after_retain_ip_days_and_nothing_else_changes(
    client: TestClient, site: SiteFixture
) -> None:
    pool = client.app[POOL]
    old = await post_comment(client, site, body="Old and approved: a fine article.")
    recent = await post_comment(client, site, email="omar@example.com", body="تعليق حديث ومنشور")
    waiting = await post_comment(client, site, email="lina@example.com", body="ينتظر المراجعة")
    for c in (old, recent):
        await approve(client, site, c["id"])
    await back_date(pool, "comments", "created_at", [old["id"], waiting["id"]], 31)
    await back_date(pool, "comments", "created_at", [recent["id"]], 29)
    public, pending = await thread(client, site), await queue(client, site)
    assert await ip_of(client, old["id"]) == "127.0.0.1"

    assert (await sweep(client, site, dry_run=True))["ip"] == 2
    assert await ip_of(client, old["id"]) == "127.0.0.1"  # a dry run changes nothing
    done = await sweep(client, site)
    assert done["ip"] == 2 and done["rejected"] == done["spam"] == done["unverified"] == 0
    assert await ip_of(client, old["id"]) is None
    assert await ip_of(client, waiting["id"]) is None
    assert await ip_of(client, recent["id"]) == "127.0.0.1"  # 29 days: kept
    assert await thread(client, site) == public  # the public thread as it was
    assert await queue(client, site) == pending
    assert (await sweep(client, site))["ip"] == 0  # idempotent

    await set_settings(client, site, **KEEP_EVERYTHING)
    await back_date(pool, "comments", "created_at", [recent["id"]], 4000)
    assert await sweep(client, site) == {}  # null keeps forever: nothing is even counted
    assert await ip_of(client, recent["id"]) == "127.0.0.1"


async def test_spam_and_unverified_comments_are_deleted_with_expired_links_after_their_days(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    pool = client.app[POOL]
    await set_settings(client, site, require_verified_email=True)
    spam_old = await post_comment(client, site, url="http://spam.example", body="Buy now!!")
    spam_new = await post_comment(client, site, url="http://spam.example", body="اشترِ الآن")
    never = await post_comment(client, site, email="ghost@example.com", body="لم يؤكد بريده")
    fresh = await post_comment(client, site, email="new@example.com", body="Not confirmed yet")
    await smtp_server.wait_for(2)  # the confirmation links
    statuses = dict(await pool.fetch("SELECT id::text, status FROM comments"))
    assert statuses[spam_old["id"]] == "spam" and statuses[never["id"]] == "unverified"
    await back_date(pool, "comments", "created_at", [spam_old["id"], never["id"]], 8)
    await pool.execute(
        "UPDATE author_confirmations SET expires_at = now() - interval '1 day'"
        " WHERE email_hash = (SELECT email_hash FROM comments WHERE id = $1)",
        int(never["id"]),
    )
    assert await pool.fetchval("SELECT count(*) FROM authors") == 2

    done = await sweep(client, site)
    assert (done["spam"], done["unverified"]) == (1, 1)
    left = {r["id"] for r in await pool.fetch("SELECT id::text FROM comments")}
    assert left == {spam_new["id"], fresh["id"]}
    # The address that never confirmed leaves no link and no author record behind.
    assert await pool.fetchval("SELECT count(*) FROM author_confirmations") == 1
    assert await pool.fetchval("SELECT count(*) FROM authors") == 1
    confirm = link_in(smtp_server.arrived[-1], "confirm")
    assert confirm  # the fresh one's link still works
    assert (await sweep(client, site))["spam"] == 0


async def test_a_rejected_comment_loses_its_content_but_statement_audit_and_appeal_stay(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    pool = client.app[POOL]
    await set_settings(client, site, language="ar", statement_of_reasons="all")
    await hook(client, site)
    appealed = await confirmed_author(client, site, smtp_server, body="تعليق حاد سيُرفض")
    await reject(client, site, appealed["id"], note="قارئ غاضب", explanation="إساءة")
    arrived = await smtp_server.wait_for(2)
    appeal = await client.post(link_in(arrived[-1], "appeal"), data={"text": "أرجو المراجعة"})
    assert appeal.status == 200
    plain = await post_comment(client, site, email="troll@example.com", body="Rejected rant")
    await reject(client, site, plain["id"])
    young = await post_comment(client, site, email="x@example.com", body="Rejected yesterday")
    await reject(client, site, young["id"])
    old = [appealed["id"], plain["id"]]
    await back_date(pool, "comments", "decided_at", old, 91)
    statement = dict(await pool.fetchrow("SELECT * FROM statements"))
    audit = await pool.fetch("SELECT id, action, to_status FROM moderation_audit ORDER BY id")

    # An open appeal holds its comment: the moderator deciding it needs the text.
    assert (await sweep(client, site))["rejected"] == 1
    assert (await moderator_view(client, site, plain["id"]))["body_text"] == "تعليق محذوف"
    assert (await moderator_view(client, site, appealed["id"]))["body_text"] == "تعليق حاد سيُرفض"
    listed = await client.get(f"/v1/sites/{site.slug}/appeals", headers=site.auth())
    [item] = (await listed.json())["items"]
    _, other = await service.admin.create_token(pool, site.slug, Role.MODERATOR)
    decided = await client.post(  # by another moderator, as appeals are
        f"/v1/appeals/{item['id']}/decide",
        json={"outcome": "upheld", "explanation": "القرار قائم"},
        headers=site.auth(other),
    )
    assert decided.status == 200, await decided.text()

    assert (await sweep(client, site))["rejected"] == 1
    view = await moderator_view(client, site, appealed["id"])
    assert (view["name"], view["body_text"], view["email"]) == ("كاتب محذوف", "تعليق محذوف", None)
    assert view["status"] == "rejected"
    assert (await moderator_view(client, site, young["id"]))["body_text"] == "Rejected yesterday"
    assert dict(await pool.fetchrow("SELECT * FROM statements")) == statement  # immutable
    after = await pool.fetch("SELECT id, action, to_status FROM moderation_audit ORDER BY id")
    assert [tuple(r) for r in after][: len(audit)] == [tuple(r) for r in audit]
    assert await pool.fetchval("SELECT count(*) FROM moderation_audit WHERE note IS NOT NULL") == 0
    assert await pool.fetchval("SELECT body FROM appeals") == "حُذف نص الاعتراض"
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM comments WHERE erased = 'purged' AND client_ip IS NULL"
            " AND email IS NULL AND website IS NULL"
        )
        == 2
    )
    texts, raw = needles(await site_id(client, site), "troll@example.com")
    _, hits = await columns_holding(pool, [*texts, "Rejected rant", "تعليق حاد"], raw)
    # The comments' rows, payloads and audit hold nothing of them; the author's own record
    # and mails have their own clocks (retain_email_days, retain_deliveries_days).
    assert hits and {h.split(".")[0] for h in hits} <= {
        "authors",
        "author_confirmations",
        "mail_outbox",
    }


async def test_an_address_is_forgotten_after_the_authors_last_comment_but_their_words_stay(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    pool = client.app[POOL]
    await set_settings(client, site, language="ar")
    sara = await sara_everywhere(client, site, smtp_server)
    active = await post_comment(client, site, email="active@example.com", body="Old one")
    await approve(client, site, active["id"])
    gone = await post_comment(client, site, email="gone@example.com", body="Old rejected words")
    await reject(client, site, gone["id"])
    await pool.execute("UPDATE comments SET created_at = now() - interval '40 days'")
    newer = await post_comment(client, site, email="active@example.com", body="Still here")
    public = await thread(client, site)  # cached: the sweep must reach the cache
    await set_settings(client, site, retain_email_days=30, retain_ip_days=None)
    sara_comments = len((await export(client, site, SARA))["comments"])

    # Sara's, Omar's reply and the rejected one; not the active author's.
    assert (await sweep(client, site, dry_run=True))["email"] == sara_comments + 2
    done = await sweep(client, site)
    assert done["email"] == sara_comments + 2
    shown = await thread(client, site)
    assert [(c["id"], c["name"], c["body_html"]) for c in shown] == [
        (c["id"], c["name"], c["body_html"]) for c in public
    ]
    first = next(c for c in shown if c["id"] == sara["first"]["id"])
    assert first["website"] is None and first["name"] == "سارة أحمد"
    assert (await export(client, site, SARA))["comments"] == []
    assert (await export(client, site, SARA))["author"] is None
    kept = await export(client, site, "active@example.com")  # a recent comment: all kept
    assert [c["id"] for c in kept["comments"]] == [active["id"], newer["id"]]
    texts, raw = needles(await site_id(client, site), SARA)
    _, hits = await columns_holding(pool, texts, raw)
    # Only what Sara herself wrote into her appeal stays, like the text of her comments.
    assert hits == ["appeals.body"]
    assert (await sweep(client, site))["email"] == 0
    # A comment that lost only its address is still purged when its own time comes.
    assert (await moderator_view(client, site, gone["id"]))["body_text"] == "Old rejected words"
    await back_date(pool, "comments", "decided_at", [gone["id"]], 91)
    assert (await sweep(client, site))["rejected"] == 1
    assert (await moderator_view(client, site, gone["id"]))["body_text"] == "تعليق محذوف"


async def test_finished_deliveries_and_mails_go_after_their_days_pending_ones_never(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    pool = client.app[POOL]
    gone = await client.post(
        f"/v1/sites/{site.slug}/webhooks",
        json={"url": "http://127.0.0.1:9/gone"},
        headers=site.auth(site.admin),
    )
    await hook(client, site)  # another endpoint: its deliveries stay pending
    await post_comment(client, site, page_url=ARTICLE, body="A comment, announced twice")
    await smtp_server.wait_for(1)
    await eventually(
        lambda: pool.fetchval("SELECT count(*) FROM mail_outbox WHERE status = 'sent'"), 10
    )
    endpoint = (await gone.json())["id"]
    deleted = await client.delete(
        f"/v1/sites/{site.slug}/webhooks/{endpoint}", headers=site.auth(site.admin)
    )
    assert deleted.status == 204, await deleted.text()
    await pool.execute("UPDATE webhook_deliveries SET created_at = now() - interval '90 days'")
    await pool.execute(
        "UPDATE webhook_deliveries SET completed_at = now() - interval '31 days'"
        " WHERE status = 'cancelled'"
    )
    await pool.execute("UPDATE mail_outbox SET completed_at = now() - interval '31 days'")
    assert await pool.fetchval("SELECT count(*) FROM mail_attempts") >= 1

    done = await sweep(client, site)
    assert (done["webhook_delivery"], done["mail"]) == (1, 1)
    assert await pool.fetchval("SELECT array_agg(status) FROM webhook_deliveries") == ["pending"]
    assert await pool.fetchval("SELECT count(*) FROM mail_outbox") == 0
    assert await pool.fetchval("SELECT count(*) FROM mail_attempts") == 0


async def test_two_sweepers_at_once_purge_each_row_once_and_the_totals_add_up(
    client: TestClient, site: SiteFixture
) -> None:
    pool = client.app[POOL]
    other = await make_site(client, "weekly")
    for i in range(60):
        posted = await post_comment(
            client, site if i % 2 else other, email=f"a{i}@example.com", body=f"تعليق رقم {i}"
        )
        if i % 3 == 0:
            await post_comment(
                client, site, email=f"b{i}@example.com", url="http://x", body=f"spam {i}"
            )
        assert posted
    await pool.execute("UPDATE comments SET created_at = now() - interval '40 days'")
    due = await service.retention.sweep(pool, dry_run=True)
    assert due["daily"]["ip"] == 30 + 20 and due["daily"]["spam"] == 20
    assert due["weekly"]["ip"] == 30

    # Small batches, so the two really interleave.
    original = service.retention.BATCH
    service.retention.BATCH = 7
    try:
        first, second = await asyncio.gather(
            service.retention.sweep(pool), service.retention.sweep(pool)
        )
    finally:
        service.retention.BATCH = original
    # Spam goes first, so the IP addresses forgotten are those of the comments that stay.
    expected = {("daily", "spam"): 20, ("daily", "ip"): 30, ("weekly", "ip"): 30}
    for (slug, kind), rows in expected.items():
        assert first[slug][kind] + second[slug][kind] == rows
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE client_ip IS NOT NULL") == 0
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE status = 'spam'") == 0


async def test_the_sweeper_in_serve_runs_on_its_own_and_counts_in_the_metrics(
    aiohttp_client: Any, settings: Any, clean_database: None
) -> None:
    client = await aiohttp_client(create_app(replace(settings, retention_interval=0.1)))
    site = await make_site(client, "daily")
    posted = await post_comment(client, site, body="Comment whose address will be forgotten")
    await back_date(client.app[POOL], "comments", "created_at", [posted["id"]], 31)

    async def forgotten() -> bool:
        return await ip_of(client, posted["id"]) is None

    await eventually(forgotten, 10)
    metrics = await (await client.get("/metrics")).text()
    assert 'moderation_retention_purged_rows_total{kind="ip"} 1.0' in metrics
    assert "moderation_retention_sweep_duration_seconds_count" in metrics


async def test_the_command_line_prints_what_it_would_purge_then_purges_it(
    cli_env: dict[str, str], aiohttp_client: Any
) -> None:
    assert run_cli("migrate", env=cli_env).returncode == 0
    client = await aiohttp_client(create_app(make_settings(cli_env["DATABASE_URL"])))
    for slug in ("al-akhbar", "the-daily"):
        await make_site(client, slug)
    akhbar, daily = SiteFixture("al-akhbar", "", ""), SiteFixture("the-daily", "", "")
    await post_comment(client, akhbar, body="تعليق قديم من عنوان قديم")
    await post_comment(client, akhbar, url="http://spam.example", body="spam spam")
    await post_comment(client, daily, body="An old comment on the daily")
    pool = client.app[POOL]
    await pool.execute("UPDATE comments SET created_at = now() - interval '40 days'")

    dry = run_cli("retention", "run", "--dry-run", env=cli_env)
    assert dry.returncode == 0, dry.stderr
    lines = set(dry.stdout.splitlines())
    assert {"al-akhbar\tip\t2", "al-akhbar\tspam\t1", "the-daily\tip\t1"} <= lines
    assert "dry run" in dry.stderr
    assert await pool.fetchval("SELECT count(*) FROM comments WHERE client_ip IS NOT NULL") == 3

    one = run_cli("retention", "run", "--site", "the-daily", env=cli_env)
    assert one.returncode == 0, one.stderr
    assert "the-daily\tip\t1" in one.stdout.splitlines() and "al-akhbar" not in one.stdout
    every = run_cli("retention", "run", env=cli_env)
    assert {"al-akhbar\tip\t1", "al-akhbar\tspam\t1", "the-daily\tip\t0"} <= set(
        every.stdout.splitlines()
    )
    assert await pool.fetchval("SELECT count(*) FROM comments") == 2
    nowhere = run_cli("retention", "run", "--site", "nowhere", env=cli_env)
    assert nowhere.returncode == 1 and "no site 'nowhere'" in nowhere.stderr
    assert run_cli("retention", "run", "--help", env=cli_env).returncode == 0


def test_each_kind_is_due_its_own_days_before_now_and_null_leaves_it_out() -> None:
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    due = service.retention.cutoffs(SiteSettings(retain_email_days=400), now)
    assert list(due) == list(service.retention.KINDS)  # deletions first
    assert due["ip"] == due["report_network"] == now - timedelta(days=30)
    assert due["email"] == now - timedelta(days=400)
    assert due["rejected"] == now - timedelta(days=90)
    assert due["spam"] == due["unverified"] == now - timedelta(days=7)
    assert due["webhook_delivery"] == due["mail"] == now - timedelta(days=30)
    kept = SiteSettings(retain_ip_days=None, purge_spam_days=None, retain_deliveries_days=None)
    assert set(service.retention.cutoffs(kept, now)) == {"unverified", "rejected"}


async def test_a_round_that_meets_a_database_outage_is_logged_and_the_next_one_works(
    client: TestClient, site: SiteFixture
) -> None:
    posted = await post_comment(client, site, body="تعليق قديم ينتظر الجولة التالية")
    await back_date(client.app[POOL], "comments", "created_at", [posted["id"]], 31)
    metrics = client.app[METRICS]
    # A pool whose server refuses connections (nothing listens on the port).
    down = await asyncpg.create_pool(f"postgresql://postgres@127.0.0.1:{free_port()}/x", min_size=0)
    try:
        with capture_logs() as logs:
            assert await sweep_once(down, metrics) is None
    finally:
        await down.close()
    assert [e["event"] for e in logs] == ["retention_sweep_failed"]
    assert await ip_of(client, posted["id"]) == "127.0.0.1"
    with capture_logs() as logs:
        totals = await sweep_once(client.app[POOL], metrics)
    assert totals is not None and totals["ip"] == 1
    [line] = [e for e in logs if e["event"] == "retention_swept"]
    assert line["ip"] == 1 and line["sites"] == 1
    assert await ip_of(client, posted["id"]) is None


async def test_a_worker_process_sweeps_too_and_stops_cleanly_on_sigterm(
    client: TestClient, site: SiteFixture, database_url: str
) -> None:
    posted = await post_comment(client, site, body="A comment the worker's sweeper will reach")
    await back_date(client.app[POOL], "comments", "created_at", [posted["id"]], 31)
    env = worker_env(database_url, free_port(), MODERATION_RETENTION_INTERVAL="0.2")
    env["MODERATION_SECRET_KEY"] = TEST_SECRET.decode()
    worker = await start_worker(env)
    try:

        async def forgotten() -> bool:
            return await ip_of(client, posted["id"]) is None

        await eventually(forgotten, 20)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(worker.communicate(), 20)
    assert worker.returncode == 0, stderr.decode()


async def test_the_sweeper_walks_the_authors_for_addresses_only_every_few_hours(
    client: TestClient, site: SiteFixture
) -> None:
    stop = asyncio.Event()
    with capture_logs() as logs:
        task = asyncio.create_task(sweep_forever(client.app[POOL], client.app[METRICS], 0.05, stop))

        def rounds() -> list[dict[str, Any]]:
            return [e for e in logs if e["event"] == "retention_swept"]

        await eventually(lambda: len(rounds()) >= 3, 10)
        stop.set()
        await asyncio.wait_for(task, 10)
    assert "email" in rounds()[0] and "ip" in rounds()[0]
    assert all("email" not in r and "ip" in r for r in rounds()[1:])
