"""moderation/store/mail.py on real PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from moderation.domain import Site
from moderation.sealing import Place
from moderation.store import mail, subjects
from moderation.store.mail import Claim, MailStatus, Result
from tests.conftest import TEST_KEYS as KEYS
from tests.store.conftest import email_hash


async def queue(conn: PoolConnectionProxy, site: Site, recipient: str, n: int = 1) -> mail.Queued:
    return await mail.enqueue_mail(
        conn,
        site_id=site.id,
        kind="receipt",
        recipient=KEYS.seal(Place.MAIL_RECIPIENT, site.id, recipient),
        recipient_hash=email_hash(recipient),
        message_id=f"<{n}@moderation.test>",
        subject="تم استلام تعليقك",
        draft=DRAFT,
    )


DRAFT = {
    "language": "ar",
    "context": {"name": "ليلى"},
    "sender": {"site_name": "Daily", "address": "news@daily.example"},
    "unsubscribe_url": None,
    "author_url": None,
}


def result(claim: Claim, status: MailStatus, smtp_code: int | None = 250) -> Result:
    return Result(
        site_id=claim.site_id,
        id=claim.id,
        attempt=claim.attempt,
        status=status,
        delay=30.0 if status is MailStatus.PENDING else None,
        at=datetime.now(UTC),
        smtp_code=smtp_code,
        error=None if smtp_code == 250 else "550 no such user",
        duration_ms=2.0,
        recipient_hash=claim.recipient_hash,
    )


async def test_a_queued_mail_is_claimed_once_and_given_back_uncounted(
    conn: PoolConnectionProxy, site: Site
) -> None:
    queued = await queue(conn, site, "layla@example.com")
    assert queued.status is MailStatus.PENDING
    assert await mail.queued_count(conn, 10) == 1
    [claim] = await mail.claim_due(conn, 10, 60.0)
    assert (claim.id, claim.attempt) == (queued.id, 1)
    assert KEYS.reveal(claim.recipient) == "layla@example.com"
    assert await mail.claim_due(conn, 10, 60.0) == []
    assert await mail.release(conn, [claim]) == 1
    [again] = await mail.claim_due(conn, 10, 60.0)
    assert again.attempt == 1


async def test_a_temporary_failure_waits_and_a_success_completes(
    conn: PoolConnectionProxy, site: Site
) -> None:
    await queue(conn, site, "layla@example.com")
    [claim] = await mail.claim_due(conn, 10, 60.0)
    assert await mail.record_results(conn, [result(claim, MailStatus.PENDING, 451)]) == 1
    waiting = await mail.seconds_until_next_due(conn)
    assert waiting is not None and 25 < waiting <= 30
    await conn.execute("UPDATE mail_outbox SET next_attempt_at = now()")
    [second] = await mail.claim_due(conn, 10, 60.0)
    assert await mail.record_results(conn, [result(claim, MailStatus.SENT)]) == 0  # stale
    assert await mail.record_results(conn, [result(second, MailStatus.SENT)]) == 1
    [sent] = await mail.recent_mails(conn, 10)
    assert (sent.status, sent.attempts) == (MailStatus.SENT, 2)
    assert sent.completed_at is not None


async def test_an_undeliverable_address_is_suppressed_for_its_site(
    conn: PoolConnectionProxy, site: Site
) -> None:
    await queue(conn, site, "gone@example.com", 1)
    waiting = await queue(conn, site, "gone@example.com", 2)
    [claim] = await mail.claim_due(conn, 1, 60.0)
    await mail.record_results(conn, [result(claim, MailStatus.UNDELIVERABLE, 550)])
    assert await mail.is_suppressed(conn, site.id, email_hash("gone@example.com"))
    assert not await mail.is_suppressed(conn, site.id, email_hash("layla@example.com"))
    found = await mail.mail_by_id(conn, site.id, waiting.id)
    assert found is not None and found[0].status is MailStatus.SUPPRESSED
    later = await queue(conn, site, "gone@example.com", 3)
    assert later.status is MailStatus.SUPPRESSED
    assert await mail.claim_due(conn, 10, 60.0) == []


async def test_a_composed_message_replaces_its_draft_and_the_first_one_stored_wins(
    conn: PoolConnectionProxy, site: Site
) -> None:
    queued = await queue(conn, site, "layla@example.com")
    [claim] = await mail.claim_due(conn, 10, 60.0)
    assert claim.message is None and claim.draft is not None
    assert (claim.draft.kind, claim.draft.message_id) == ("receipt", queued.message_id)
    assert claim.draft.content == DRAFT
    key = (site.id, queued.id)
    assert await mail.store_composed(conn, [(*key, b"first")]) == {key: b"first"}
    # A second composer (a sender whose lease ran out, the development mailbox) gets the same.
    assert await mail.store_composed(conn, [(*key, b"second")]) == {key: b"first"}
    row = await conn.fetchrow("SELECT message, draft FROM mail_outbox WHERE id = $1", queued.id)
    assert (row["message"], row["draft"]) == (b"first", None)
    found = await mail.mail_by_id(conn, site.id, queued.id)
    assert found is not None and found[0].message == b"first" and found[1] is None


async def test_a_mail_erased_before_it_is_composed_is_not_stored(
    conn: PoolConnectionProxy, site: Site
) -> None:
    queued = await queue(conn, site, "layla@example.com")
    await conn.execute("DELETE FROM mail_outbox WHERE id = $1", queued.id)
    assert await mail.store_composed(conn, [(site.id, queued.id, b"composed")]) == {}


async def test_an_erase_waits_for_an_attempt_being_recorded_and_deletes_it_with_the_mail(
    conn: PoolConnectionProxy, site: Site, database_url: str
) -> None:
    """A sender recording an attempt while an erase deletes the mail: the attempt committed in
    between used to make the erase's delete of the mail fail its foreign key (a 500)."""
    await queue(conn, site, "sara@example.com")
    [claim] = await mail.claim_due(conn, 10, 60.0)
    sender = await asyncpg.connect(database_url)
    eraser = await asyncpg.connect(database_url)
    try:
        recording = sender.transaction()
        await recording.start()
        await mail.record_results(sender, [result(claim, MailStatus.SENT)])  # not committed
        erasing = eraser.transaction()
        await erasing.start()
        erase = asyncio.create_task(
            subjects.delete_mails(eraser, site.id, [email_hash("sara@example.com")])
        )
        await asyncio.sleep(0.2)
        assert not erase.done()  # it waits for the sender's transaction
        await recording.commit()
        assert await asyncio.wait_for(erase, 10) == 1
        await erasing.commit()
    finally:
        await sender.close()
        await eraser.close()
    assert await conn.fetchval("SELECT count(*) FROM mail_attempts") == 0
    assert await conn.fetchval("SELECT count(*) FROM mail_outbox") == 0
