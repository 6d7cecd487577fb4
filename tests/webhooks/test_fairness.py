"""One site's receiver cannot slow every site's webhooks: a per-endpoint cap on in-flight
attempts, and a receiver that answers 410 Gone has its endpoint disabled."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from moderation.config import ConfigError, Settings
from moderation.db import POOL
from moderation.webhooks.dispatcher import next_state
from tests.conftest import SiteFixture, make_site, post_comment
from tests.support import eventually
from tests.webhooks.conftest import Receiver, Reply, StartDispatcher, deliveries, register

SCHEDULE = (0.2, 0.4, 0.8)


def on(receiver: Receiver, path: str) -> str:
    return receiver.url.replace("/hook", path)


def arrived(receiver: Receiver, path: str) -> list[Any]:
    return [r for r in receiver.requests if r.path == path]


async def test_a_receiver_that_never_answers_does_not_delay_another_sites_deliveries(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    receiver.respond = lambda r: Reply(delay=60) if r.path == "/never" else Reply()
    await register(client, site, on(receiver, "/never"))
    for n in range(8):  # the dead receiver's deliveries are the oldest due
        await post_comment(client, site, body=f"تعليق رقم {n}")
    other = await make_site(client, "weekly")
    await register(client, other, on(receiver, "/fast"), events=["comment.created"])
    for n in range(3):
        await post_comment(client, other, body=f"Comment number {n}")
    started = time.monotonic()
    await start_dispatcher(
        webhook_concurrency=4, webhook_endpoint_concurrency=2, webhook_timeout=20.0
    )
    await eventually(lambda: len(arrived(receiver, "/fast")) == 3, 3.0)
    assert time.monotonic() - started < 3.0
    # The dead one holds its own two slots, no more.
    assert len(arrived(receiver, "/never")) == 2
    receiver.close()


async def test_a_backlog_for_one_endpoint_drains_at_the_receivers_pace_not_the_polls(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    """The cap holds an endpoint to its share, and the dispatcher claims its next ones as soon
    as sends finish: 120 deliveries ten at a time take well under a second, not a poll (1 s)
    per few."""
    await register(client, site, receiver.url)
    for n in range(120):
        await post_comment(
            client, site, email=f"reader{n}@example.com", body=f"تعليق رقم {n} / comment {n}"
        )
    started = time.monotonic()
    await start_dispatcher(webhook_concurrency=100, webhook_endpoint_concurrency=10)
    await eventually(lambda: len(receiver.requests) == 120, 20.0)
    assert time.monotonic() - started < 3.0


def test_410_gone_fails_a_delivery_at_once() -> None:
    assert next_state(1, None, 410, None, SCHEDULE)[0] == "failed"
    assert next_state(1, None, 404, None, SCHEDULE)[0] == "pending"


async def test_410_gone_disables_the_endpoint_tells_the_others_and_it_can_be_enabled(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    gone_answers = True
    receiver.respond = lambda r: (
        Reply(status=410) if r.path == "/gone" and gone_answers else Reply()
    )
    gone = await register(client, site, on(receiver, "/gone"))
    watcher = await register(client, site, on(receiver, "/watch"))
    await post_comment(client, site, body="الوزير يزور المدرسة")
    await post_comment(client, site, body="A second comment")
    await start_dispatcher(webhook_endpoint_concurrency=1)
    await eventually(
        lambda: any(
            json.loads(r.body)["type"] == "endpoint.disabled" for r in arrived(receiver, "/watch")
        ),
        5.0,
    )
    [event] = [
        json.loads(r.body)
        for r in arrived(receiver, "/watch")
        if json.loads(r.body)["type"] == "endpoint.disabled"
    ]
    assert event["data"]["id"] == gone["id"] and event["data"]["enabled"] is False
    assert event["data"]["disabled_reason"] == "gone"
    assert "secret" not in json.dumps(event)
    # 410 is final: never retried (the other delivery was cancelled, or sent before the
    # endpoint was disabled and answered 410 too).
    sent_to_gone = len(arrived(receiver, "/gone"))
    assert sent_to_gone in (1, 2)

    admin = site.auth(site.admin)
    listed = await (await client.get(f"/v1/sites/{site.slug}/webhooks", headers=admin)).json()
    shown = {item["id"]: item for item in listed["items"]}
    assert shown[gone["id"]]["enabled"] is False
    assert shown[gone["id"]]["disabled_reason"] == "gone"
    assert shown[gone["id"]]["disabled_at"] is not None
    assert shown[watcher["id"]]["enabled"] is True
    pool = client.app[POOL]
    to_gone = [d for d in await deliveries(pool) if str(d["endpoint_id"]) == gone["id"]]
    assert {d["status"] for d in to_gone} <= {"cancelled", "failed"}
    # Never retried: each request it got was another delivery. One sent before the endpoint was
    # disabled ends cancelled instead of failed when the disabling is recorded before its 410.
    assert len({r.msg_id for r in arrived(receiver, "/gone")}) == sent_to_gone
    assert 1 <= sum(d["status"] == "failed" for d in to_gone) <= sent_to_gone
    failed = next(d for d in to_gone if d["status"] == "failed")
    retry = await client.post(
        f"/v1/sites/{site.slug}/deliveries/{failed['id']}/retry", headers=admin
    )
    assert retry.status == 409 and "disabled" in (await retry.json())["detail"]

    # While disabled it gets nothing; enabled again, it gets new events.
    await post_comment(client, site, body="Third")
    await eventually(lambda: len(arrived(receiver, "/watch")) >= 4, 5.0)
    assert len(arrived(receiver, "/gone")) == sent_to_gone
    gone_answers = False
    enabled = await client.post(
        f"/v1/sites/{site.slug}/webhooks/{gone['id']}/enable", headers=admin
    )
    assert enabled.status == 200
    assert (await enabled.json())["enabled"] is True
    await post_comment(client, site, body="رابع")
    await eventually(lambda: len(arrived(receiver, "/gone")) == sent_to_gone + 1, 5.0)
    assert (
        await client.post(f"/v1/sites/{site.slug}/webhooks/999/enable", headers=admin)
    ).status == 404
    assert (
        await client.post(
            f"/v1/sites/{site.slug}/webhooks/{gone['id']}/enable", headers=site.auth()
        )
    ).status == 403


def test_the_per_endpoint_cap_comes_from_the_environment() -> None:
    env = {"MODERATION_WEBHOOK_ENDPOINT_CONCURRENCY": "3"}
    assert Settings.from_env(env).webhook_endpoint_concurrency == 3
    assert Settings.from_env({}).webhook_endpoint_concurrency == 10
    with pytest.raises(ConfigError, match="MODERATION_WEBHOOK_ENDPOINT_CONCURRENCY"):
        Settings.from_env({"MODERATION_WEBHOOK_ENDPOINT_CONCURRENCY": "0"})
