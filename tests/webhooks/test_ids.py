"""Webhook endpoint and delivery ids are opaque like comment ids, and delivery pages stay exact
with ids that are not in time order."""

from __future__ import annotations

import itertools

from aiohttp.test_utils import TestClient

from moderation.db import POOL
from tests.api.test_opaque_ids import JS_SAFE, all_pages, same_moment
from tests.conftest import SiteFixture, post_comment
from tests.webhooks.conftest import Receiver, register


async def test_webhook_endpoint_and_delivery_ids_are_opaque_too(
    client: TestClient, site: SiteFixture, receiver: Receiver
) -> None:
    first = int((await register(client, site, receiver.url))["id"])
    second = int((await register(client, site, receiver.url))["id"])
    assert abs(second - first) > 1_000_000 and max(first, second) < JS_SAFE
    for n in range(3):
        await post_comment(client, site, body=f"Comment {n}")
    ids = [r["id"] for r in await client.app[POOL].fetch("SELECT id FROM webhook_deliveries")]
    assert len(ids) == 6 and all(0 < i < JS_SAFE for i in ids)
    ids.sort()
    assert all(b - a > 1_000 for a, b in itertools.pairwise(ids))


async def test_delivery_pages_are_exact_across_deliveries_made_at_the_same_instant(
    client: TestClient, site: SiteFixture, receiver: Receiver
) -> None:
    endpoint = await register(client, site, receiver.url)
    for n in range(20):
        await post_comment(client, site, body=f"Comment {n}", email=f"d{n}@x.org")
    await same_moment(client, "webhook_deliveries")
    path = f"/v1/sites/{site.slug}/webhooks/{endpoint['id']}/deliveries"
    items = await all_pages(client, path, site.auth(site.admin), limit="6")
    stored = await client.app[POOL].fetch("SELECT id FROM webhook_deliveries")
    assert [int(i["id"]) for i in items] == sorted((r["id"] for r in stored), reverse=True)
