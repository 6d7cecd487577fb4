"""Sending through a real SMTP server on 127.0.0.1: what a mail carries (Arabic and English),
retries after 4xx, suppression after 5xx, a relay that is down, two senders on one database,
and a crashed sender's lease."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from moderation.app import create_app
from moderation.config import Settings
from moderation.db import POOL
from moderation.domain import MailStatus
from moderation.metrics import METRICS
from moderation.service import mailbox
from moderation.store import mail as store
from tests.conftest import SiteFixture, make_site, post_comment
from tests.mail.conftest import (
    SCHEDULE,
    MailServer,
    free_port,
    mail_attempts,
    mail_settings,
    outbox,
    queue_test_mail,
    settled,
)
from tests.support import eventually


@pytest.fixture
def settings(database_url: str, smtp_server: MailServer) -> Settings:
    """The app under test sends mail through the test's SMTP server."""
    return mail_settings(database_url, smtp_server.port)


async def configure(client: TestClient, site: SiteFixture, **values: Any) -> dict[str, Any]:
    response = await client.patch(
        f"/v1/sites/{site.slug}/settings", json=values, headers=site.auth(site.admin)
    )
    assert response.status == 200, await response.text()
    return await response.json()  # type: ignore[no-any-return]


async def test_an_arabic_mail_arrives_right_to_left_with_encoded_headers_and_the_stored_html(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await configure(
        client,
        site,
        language="ar",
        mail_sender_name="أخبار اليوم",
        mail_reply_to="letters@daily.example",
        public_url="https://daily.example/",
        terms_url="https://daily.example/terms",
    )
    comment = await post_comment(
        client, site, body="رأيي <script>alert(1)</script> **مهم** https://example.com/x"
    )
    row = await client.app[POOL].fetchrow(
        "SELECT body_html, body_text, body_dir FROM comments WHERE id = $1", int(comment["id"])
    )
    from moderation.mail.compose import Quote

    queued = await queue_test_mail(
        client,
        site.slug,
        "sara@example.com",
        name="سارة <b>أحمد</b>",
        action_url="https://daily.example/politics/1",
        quote=Quote(row["body_html"], row["body_text"], row["body_dir"]),
    )
    assert queued.status == MailStatus.PENDING

    # The comment's confirmation mail (issue 11) goes out too; this test is about the other one.
    arrived = next(
        a for a in await smtp_server.wait_for(2) if a.message["Message-ID"] == queued.message_id
    )
    sent = next(r for r in await settled(client.app[POOL], 2) if r["id"] == queued.id)
    assert sent["status"] == "sent" and sent["attempts"] == 1
    assert arrived.sender == "news@daily.example"
    assert arrived.recipients == ("sara@example.com",)
    headers = arrived.raw.split(b"\r\n\r\n", 1)[0]
    assert headers.isascii()  # every non-ASCII header is an RFC 2047 encoded word
    assert b"=?utf-8?" in headers
    message = arrived.message
    assert message["Subject"] == "رسالة تجريبية من Daily"
    assert message["From"].addresses[0].display_name == "أخبار اليوم"
    assert message["From"].addresses[0].addr_spec == "news@daily.example"
    assert message["To"] == "sara@example.com"
    assert message["Reply-To"] == "letters@daily.example"
    assert message["Message-ID"] == sent["message_id"] == queued.message_id
    assert message["Message-ID"].endswith("@daily.example>")
    assert message["Date"] and message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] == "<https://daily.example/unsubscribe?t=abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Content-Language"] == "ar"
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    markup = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "مرحباً سارة <b>أحمد</b>،" in text  # plain text: the name as typed
    assert "> " + row["body_text"].splitlines()[0] in text
    assert "https://daily.example/politics/1" in text and "https://daily.example/terms" in text
    assert '<html lang="ar" dir="rtl">' in markup
    assert 'style="direction:rtl;text-align:right' in markup
    assert "<bdi>سارة &lt;b&gt;أحمد&lt;/b&gt;</bdi>" in markup  # escaped and isolated
    assert row["body_html"] in markup  # the sanitized HTML we stored, as it is
    assert "<script>" not in markup and "&lt;script&gt;" in row["body_html"]
    assert '<a href="https://daily.example/politics/1"' in markup
    assert '<a href="https://daily.example/unsubscribe?t=abc"' in markup
    [attempt] = [a for a in await mail_attempts(client.app[POOL]) if a["mail_id"] == queued.id]
    assert (attempt["attempt"], attempt["smtp_code"], attempt["error"]) == (1, None, None)


async def test_an_english_mail_reads_left_to_right_and_carries_no_unsubscribe_unless_given(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await configure(client, site, language="en")
    await queue_test_mail(client, site.slug, "omar@example.com", name="Omar", unsubscribe_url=None)
    [arrived] = await smtp_server.wait_for(1)
    message = arrived.message
    assert message["Subject"] == "Test message from Daily"
    assert message["From"].addresses[0].display_name == "Daily"  # the site's name by default
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert message["Reply-To"] is None
    markup = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert '<html lang="en" dir="ltr">' in markup and "<bdi>Omar</bdi>" in markup


async def test_a_temporary_refusal_is_retried_on_the_schedule_until_accepted(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    smtp_server.script("451 4.3.0 Mailbox busy for <sara@example.com>, try later")
    await queue_test_mail(client, site.slug, "sara@example.com")
    [arrived] = await smtp_server.wait_for(1)
    [sent] = await settled(client.app[POOL], 1)
    first, second = await mail_attempts(client.app[POOL])
    assert (first["attempt"], first["smtp_code"]) == (1, 451)
    assert "@" not in first["error"] and "<address>" in first["error"]
    assert (second["attempt"], second["smtp_code"], sent["status"]) == (2, None, "sent")
    assert smtp_server.rcpt_seen == 2
    metrics = client.app[METRICS].mail_attempts
    assert metrics.labels("retried")._value.get() == 1
    assert metrics.labels("sent")._value.get() == 1
    assert arrived.message["Message-ID"] == sent["message_id"]


async def test_a_permanent_refusal_marks_the_address_undeliverable_and_no_more_mail_goes_to_it(
    client: TestClient, site: SiteFixture, other_site: SiteFixture, smtp_server: MailServer
) -> None:
    smtp_server.script("550 5.1.1 <gone@example.com>: Recipient address rejected")
    with capture_logs() as logs:
        await queue_test_mail(client, site.slug, "gone@example.com")
        [bounced] = await settled(client.app[POOL], 1)
    [logged] = [entry for entry in logs if entry["event"] == "mail_attempt"]
    assert (logged["outcome"], logged["smtp_code"]) == ("undeliverable", 550)
    assert not any("@" in str(entry) for entry in logs)
    assert bounced["status"] == "undeliverable"
    [attempt] = await mail_attempts(client.app[POOL])
    assert attempt["smtp_code"] == 550 and "@" not in attempt["error"]
    suppressed = await client.app[POOL].fetch(
        "SELECT site_id, smtp_code, reason FROM mail_suppressions"
    )
    assert [(r["smtp_code"], "@" in r["reason"]) for r in suppressed] == [(550, False)]

    # The same address typed in another case is the same address; it is never tried again.
    again = await queue_test_mail(client, site.slug, "GONE@example.com")
    assert again.status == MailStatus.SUPPRESSED
    # Other addresses, and the same address on another site, still get their mail.
    await queue_test_mail(client, site.slug, "sara@example.com")
    await queue_test_mail(client, other_site.slug, "gone@example.com")
    arrived = await smtp_server.wait_for(2)
    rows = await settled(client.app[POOL], 4)
    assert [r["status"] for r in rows] == ["undeliverable", "suppressed", "sent", "sent"]
    assert sorted(a.recipients[0] for a in arrived) == ["gone@example.com", "sara@example.com"]
    assert smtp_server.rcpt_seen == 3
    assert client.app[METRICS].mail_attempts.labels("undeliverable")._value.get() == 1


async def test_mails_wait_while_the_relay_is_down_and_go_out_when_it_returns(
    aiohttp_client: Any, database_url: str, clean_database: None
) -> None:
    down = MailServer(free_port())  # nothing listens on its port yet
    settings = mail_settings(database_url, down.port, mail_retry_schedule=(0.3,) * 30)
    client = await aiohttp_client(create_app(settings))
    site = await make_site(client, "daily")
    started = asyncio.get_running_loop().time()
    response = await client.post(
        f"/v1/sites/{site.slug}/comments",
        json={"thread": "t", "name": "Omar", "email": "omar@example.com", "body": "Hello"},
    )
    assert response.status == 202
    for n in range(3):
        await queue_test_mail(client, site.slug, f"reader{n}@example.com")
    assert asyncio.get_running_loop().time() - started < 2  # never waits for the relay
    # Four mails: the comment's confirmation link (issue 11) and the three test mails.

    async def each_tried_twice() -> bool:
        return len(await mail_attempts(client.app[POOL])) >= 8

    await eventually(each_tried_twice, 10, interval=0.05)
    assert {r["status"] for r in await outbox(client.app[POOL])} == {"pending"}
    await down.start()
    try:
        arrived = await down.wait_for(4)
        rows = await settled(client.app[POOL], 4)
    finally:
        await down.stop()
    assert {r["status"] for r in rows} == {"sent"}
    assert sorted(a.recipients[0] for a in arrived) == [
        "omar@example.com",
        *(f"reader{n}@example.com" for n in range(3)),
    ]


async def test_two_senders_on_one_database_never_send_a_mail_twice(
    aiohttp_client: Any, settings: Settings, clean_database: None, smtp_server: MailServer
) -> None:
    quiet = dataclasses.replace(settings, mail_workers=False)
    client = await aiohttp_client(create_app(quiet))
    site = await make_site(client, "daily")
    for n in range(60):
        await queue_test_mail(client, site.slug, f"reader{n}@example.com")
    senders = [
        await aiohttp_client(create_app(dataclasses.replace(settings, mail_connections=2)))
        for _ in range(2)
    ]
    arrived = await smtp_server.wait_for(60)
    rows = await settled(client.app[POOL], 60)
    await asyncio.sleep(0.3)  # a duplicate would have arrived by now
    ids = Counter(a.message["Message-ID"] for a in smtp_server.arrived)
    assert len(arrived) == 60 and set(ids.values()) == {1}
    assert ids.keys() == {r["message_id"] for r in rows}
    assert {r["attempts"] for r in rows} == {1}
    sent_by = [s.app[METRICS].mail_attempts.labels("sent")._value.get() for s in senders]
    assert sum(sent_by) == 60


async def test_a_crashed_senders_claims_are_sent_again_once_their_lease_expires(
    aiohttp_client: Any, settings: Settings, clean_database: None, smtp_server: MailServer
) -> None:
    quiet = dataclasses.replace(settings, mail_workers=False)
    client = await aiohttp_client(create_app(quiet))
    site = await make_site(client, "daily")
    for n in range(3):
        await queue_test_mail(client, site.slug, f"reader{n}@example.com")
    # A sender claims the mails and dies before it sends or records anything.
    async with client.app[POOL].acquire() as conn:
        claimed = await store.claim_due(conn, 10, 0.5)
    assert len(claimed) == 3
    await aiohttp_client(create_app(settings))
    await asyncio.sleep(0.2)
    assert smtp_server.arrived == []  # still leased to the dead sender
    await smtp_server.wait_for(3, within=5)
    rows = await settled(client.app[POOL], 3)
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 2)}


async def test_metrics_show_the_mails_waiting_in_the_outbox(
    aiohttp_client: Any, settings: Settings, clean_database: None
) -> None:
    client = await aiohttp_client(create_app(dataclasses.replace(settings, mail_workers=False)))
    site = await make_site(client, "daily")
    for n in range(2):
        await queue_test_mail(client, site.slug, f"reader{n}@example.com")
    text = await (await client.get("/metrics")).text()
    assert "moderation_mail_queued 2.0" in text
    assert "@example.com" not in text


async def test_an_internationalized_address_is_sent_with_smtputf8(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await queue_test_mail(client, site.slug, "سارة@example.com")
    [arrived] = await smtp_server.wait_for(1)
    assert arrived.recipients == ("سارة@example.com",)
    assert arrived.message["To"] == "سارة@example.com"
    [row] = await settled(client.app[POOL], 1)
    assert row["status"] == "sent"


async def test_a_mail_refused_at_data_fails_without_suppressing_the_address(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    smtp_server.data_replies.append("554 5.7.1 Message rejected as spam")
    await queue_test_mail(client, site.slug, "sara@example.com")
    [failed] = await settled(client.app[POOL], 1)
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert await client.app[POOL].fetchval("SELECT count(*) FROM mail_suppressions") == 0
    again = await queue_test_mail(client, site.slug, "sara@example.com")
    assert again.status == MailStatus.PENDING
    await smtp_server.wait_for(1)


async def test_a_mail_refused_for_now_every_time_fails_when_the_schedule_is_used_up(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    smtp_server.script(*["450 4.2.0 Mailbox unavailable"] * 10)
    await queue_test_mail(client, site.slug, "sara@example.com")
    [failed] = await settled(client.app[POOL], 1)
    assert (failed["status"], failed["attempts"]) == ("failed", len(SCHEDULE) + 1)
    codes = [a["smtp_code"] for a in await mail_attempts(client.app[POOL])]
    assert codes == [450] * (len(SCHEDULE) + 1)
    assert smtp_server.arrived == []
    assert client.app[METRICS].mail_attempts.labels("failed")._value.get() == 1


async def test_a_mail_is_composed_once_and_sent_as_the_development_mailbox_showed_it(
    aiohttp_client: Any, settings: Settings, clean_database: None, smtp_server: MailServer
) -> None:
    """Queued as a draft (no bytes yet); the first reader composes and stores it, its draft is
    dropped, and the sender sends those very bytes."""
    quiet = dataclasses.replace(settings, mail_workers=False)
    client = await aiohttp_client(create_app(quiet))
    site = await make_site(client, "daily")
    await configure(client, site, language="ar", mail_sender_name="أخبار اليوم")
    pool = client.app[POOL]
    shown_first = await queue_test_mail(client, site.slug, "sara@example.com", name="سارة")
    composed_by_sender = await queue_test_mail(client, site.slug, "omar@example.com", name="Omar")
    drafts = await pool.fetch("SELECT message IS NULL AS bare, draft FROM mail_outbox ORDER BY id")
    assert [r["bare"] for r in drafts] == [True, True]
    assert drafts[0]["draft"]["context"]["name"] == "سارة"

    shown = await mailbox.one(pool, shown_first.site_id, shown_first.id)
    # Stored at the first read, not composed again at the next.
    assert await mailbox.one(pool, shown_first.site_id, shown_first.id) == shown
    await aiohttp_client(create_app(settings))  # a sender
    arrived = {a.recipients[0]: a for a in await smtp_server.wait_for(2, within=5)}
    await settled(pool, 2)
    rows = await pool.fetch("SELECT message, draft, status FROM mail_outbox ORDER BY id")
    assert [(r["draft"], r["status"]) for r in rows] == [(None, "sent")] * 2
    assert arrived["sara@example.com"].raw.endswith(shown.message)
    assert arrived["omar@example.com"].raw.endswith(rows[1]["message"])
    assert arrived["omar@example.com"].message["Message-ID"] == composed_by_sender.message_id
    text = arrived["sara@example.com"].message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "سارة" in text


async def test_a_mail_that_cannot_be_composed_is_a_failed_attempt_and_the_others_go_out(
    aiohttp_client: Any, settings: Settings, clean_database: None, smtp_server: MailServer
) -> None:
    quiet = dataclasses.replace(settings, mail_workers=False)
    client = await aiohttp_client(create_app(quiet))
    site = await make_site(client, "daily")
    pool = client.app[POOL]
    broken = await queue_test_mail(client, site.slug, "sara@example.com", name="سارة")
    await queue_test_mail(client, site.slug, "omar@example.com", name="Omar")
    # A draft no release of ours composes (a language it does not know).
    await pool.execute(
        "UPDATE mail_outbox SET draft = jsonb_set(draft, '{language}', '\"xx\"') WHERE id = $1",
        broken.id,
    )
    with capture_logs() as logs:
        await aiohttp_client(create_app(settings))  # a sender
        [arrived] = await smtp_server.wait_for(1, within=5)

        async def attempted() -> list[Any] | None:
            rows = await mail_attempts(pool)
            return rows if len(rows) == 2 else None

        attempts = await eventually(attempted, 5, message="both mails were not attempted")
    assert arrived.recipients == ("omar@example.com",)
    failed = next(a for a in attempts if a["mail_id"] == broken.id)
    assert (failed["smtp_code"], failed["error"]) == (None, "ValueError")
    row = await pool.fetchrow(
        "SELECT status, message, draft FROM mail_outbox WHERE id = $1", broken.id
    )
    assert row["status"] == "pending" and row["message"] is None and row["draft"] is not None
    assert any(entry["event"] == "mail_compose_crashed" for entry in logs)
    assert not any("@" in str(entry) for entry in logs)
