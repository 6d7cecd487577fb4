"""The webhook outbox's queries on real PostgreSQL: enqueue, claim, record and
release (store/webhooks.py). Named after the concept, whichever module ends up holding them."""

from __future__ import annotations

from datetime import UTC, datetime

from asyncpg.pool import PoolConnectionProxy

from moderation.domain import DeliveryStatus, Site
from moderation.store import webhooks
from moderation.store.webhooks import Claim, Result

EVENT = "comment.approved"


async def endpoint(conn: PoolConnectionProxy, site: Site, path: str = "/hook") -> int:
    created = await webhooks.insert_endpoint(
        conn, site.id, f"https://receiver.example{path}", [EVENT], "نقطة", "whsec_test"
    )
    return created.id


def result(claim: Claim, status: DeliveryStatus, delay: float | None = None) -> Result:
    return Result(
        site_id=claim.site_id,
        id=claim.id,
        endpoint_id=claim.endpoint_id,
        attempt=claim.attempt,
        status=status,
        delay=delay,
        at=datetime.now(UTC),
        status_code=500 if status is DeliveryStatus.PENDING else 200,
        error=None,
        duration_ms=3.5,
    )


async def test_an_event_is_queued_once_per_subscribed_live_endpoint(
    conn: PoolConnectionProxy, site: Site
) -> None:
    await endpoint(conn, site, "/one")
    await endpoint(conn, site, "/two")
    await webhooks.insert_endpoint(
        conn, site.id, "https://receiver.example/other", ["comment.rejected"], None, "whsec_x"
    )
    assert await webhooks.enqueue(conn, site.id, EVENT, {"text": "مرحبا"}) == 2
    assert await webhooks.enqueue(conn, site.id, "comment.received", {}) == 0


async def test_a_due_delivery_is_claimed_once_until_its_lease_lapses(
    conn: PoolConnectionProxy, site: Site
) -> None:
    endpoint_id = await endpoint(conn, site)
    await webhooks.enqueue(conn, site.id, EVENT, {"text": "مرحبا"})
    [claim] = await webhooks.claim_due(conn, 10, 60.0)
    assert (claim.endpoint_id, claim.attempt, claim.secrets) == (endpoint_id, 1, ("whsec_test",))
    assert claim.body == '{"text":"مرحبا"}'
    assert await webhooks.claim_due(conn, 10, 60.0) == []  # leased
    assert await webhooks.release(conn, [claim]) == 1  # given back, the attempt not counted
    [again] = await webhooks.claim_due(conn, 10, 60.0)
    assert again.attempt == 1


async def test_claims_are_capped_per_endpoint(conn: PoolConnectionProxy, site: Site) -> None:
    slow, fast = await endpoint(conn, site, "/slow"), await endpoint(conn, site, "/fast")
    for _ in range(3):
        await webhooks.enqueue(conn, site.id, EVENT, {})
    claims = await webhooks.claim_due(conn, 10, 60.0, per_endpoint=2, busy={(site.id, slow): 2})
    assert sorted(c.endpoint_id for c in claims) == [fast, fast]


async def test_a_result_moves_the_delivery_on_only_at_the_attempt_that_was_sent(
    conn: PoolConnectionProxy, site: Site
) -> None:
    await endpoint(conn, site)
    await webhooks.enqueue(conn, site.id, EVENT, {})
    [claim] = await webhooks.claim_due(conn, 10, 60.0)
    assert await webhooks.record_results(conn, [result(claim, DeliveryStatus.PENDING, 30.0)]) == 1
    waiting = await webhooks.seconds_until_next_due(conn)
    assert waiting is not None and 25 < waiting <= 30
    await conn.execute("UPDATE webhook_deliveries SET next_attempt_at = now()")
    [second] = await webhooks.claim_due(conn, 10, 60.0)
    assert second.attempt == 2
    # A stale result (of attempt 1, claimed again since) changes nothing.
    assert await webhooks.record_results(conn, [result(claim, DeliveryStatus.SUCCEEDED)]) == 0
    assert await webhooks.record_results(conn, [result(second, DeliveryStatus.SUCCEEDED)]) == 1
    assert await webhooks.claim_due(conn, 10, 60.0) == []
    assert await webhooks.seconds_until_next_due(conn) is None
    attempts = await conn.fetchval("SELECT count(*) FROM webhook_attempts")
    assert attempts == 2  # one history row per attempt: the stale repeat is not written twice


async def test_the_backlog_age_counts_only_due_unclaimed_deliveries(
    conn: PoolConnectionProxy, site: Site
) -> None:
    assert await webhooks.oldest_due_age(conn) == 0.0
    await endpoint(conn, site)
    await webhooks.enqueue(conn, site.id, EVENT, {})
    await conn.execute("UPDATE webhook_deliveries SET next_attempt_at = now() - interval '9 s'")
    assert 8 < await webhooks.oldest_due_age(conn) < 60
    await webhooks.claim_due(conn, 10, 60.0)
    assert await webhooks.oldest_due_age(conn) == 0.0
