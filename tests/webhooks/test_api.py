"""The webhook API (admin token): registration and its URL checks, listing without secrets,
deletion, rotation, the deliveries log, manual retry, and who may do any of it."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from moderation.app import create_app
from moderation.db import POOL
from tests.conftest import SiteFixture, make_settings, make_site, post_comment
from tests.webhooks.conftest import (
    Receiver,
    Reply,
    StartDispatcher,
    deliveries,
    register,
    settled,
)

ALL = [
    "comment.created",
    "comment.approved",
    "comment.rejected",
    "comment.reported",
    "report.resolved",
    "endpoint.disabled",
    "appeal.created",
    "appeal.decided",
    "author.erased",
]


def hooks(site: SiteFixture) -> str:
    return f"/v1/sites/{site.slug}/webhooks"


async def test_registering_shows_the_secret_once_and_listing_never_does(
    client: TestClient, site: SiteFixture, receiver: Receiver
) -> None:
    created = await register(client, site, receiver.url, description="غرفة الأخبار")
    assert set(created) == {
        "id",
        "url",
        "events",
        "description",
        "secret",
        "created_at",
        "enabled",
        "disabled_reason",
        "disabled_at",
    }
    assert created["enabled"] is True and created["disabled_reason"] is None
    assert created["id"].isdigit() and created["url"] == receiver.url
    assert created["events"] == ALL and created["description"] == "غرفة الأخبار"
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32
    only_approved = await register(client, site, receiver.url, events=["comment.approved"] * 2)
    assert only_approved["events"] == ["comment.approved"]
    assert only_approved["secret"] != created["secret"]

    response = await client.get(hooks(site), headers=site.auth(site.admin))
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    text = await response.text()
    assert "secret" not in text and "whsec_" not in text
    items = (await response.json())["items"]
    assert [i["id"] for i in items] == [created["id"], only_approved["id"]]
    assert items[0] == {k: v for k, v in created.items() if k != "secret"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "url"),
        ({"url": 42}, "url"),
        ({"url": "ftp://hooks.example/x"}, "url"),
        ({"url": "hooks.example/x"}, "url"),
        ({"url": "https://user:pw@hooks.example/x"}, "url"),
        ({"url": "https://hooks.example/" + "x" * 2001}, "url"),
        ({"url": "https://hooks.example/x", "events": ["comment.deleted"]}, "events"),
        ({"url": "https://hooks.example/x", "events": []}, "events"),
        ({"url": "https://hooks.example/x", "events": "comment.created"}, "events"),
        ({"url": "https://hooks.example/x", "description": "و" * 501}, "description"),
        ({"url": "https://hooks.example/x", "event": ["comment.created"]}, "event"),
    ],
)
async def test_a_bad_registration_is_refused_naming_the_field(
    client: TestClient, site: SiteFixture, body: dict[str, Any], field: str
) -> None:
    response = await client.post(hooks(site), json=body, headers=site.auth(site.admin))
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in (await response.json())["errors"]] == [field]


@pytest.fixture
async def strict_client(aiohttp_client: Any, database_url: str, clean_database: None) -> TestClient:
    """The app as deployed: webhooks may only reach public addresses."""
    settings = make_settings(database_url, webhook_allow_private=False, webhook_workers=False)
    return await aiohttp_client(create_app(settings))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.0.0.1:8080/hook",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://[ff02::1]/",
        "http://[::]/",
        "http://localhost/",
        "http://api.localhost:9000/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.1/",
    ],
)
async def test_registration_refuses_private_and_reserved_destinations(
    strict_client: TestClient, url: str
) -> None:
    site = await make_site(strict_client, "strict")
    response = await strict_client.post(
        "/v1/sites/strict/webhooks", json={"url": url}, headers=site.auth(site.admin)
    )
    assert response.status == 422, url
    assert [e["field"] for e in (await response.json())["errors"]] == ["url"]
    assert await strict_client.app[POOL].fetchval("SELECT count(*) FROM webhook_endpoints") == 0


async def test_registration_refuses_a_name_that_does_not_resolve(
    strict_client: TestClient,
) -> None:
    site = await make_site(strict_client, "strict")
    response = await strict_client.post(
        "/v1/sites/strict/webhooks",
        json={"url": "https://no-such-host.invalid/hook"},
        headers=site.auth(site.admin),
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "url"


async def test_only_an_admin_of_the_site_may_touch_its_webhooks(
    client: TestClient, site: SiteFixture, other_site: SiteFixture, receiver: Receiver
) -> None:
    endpoint = await register(client, site, receiver.url)
    await post_comment(client, site)
    [delivery] = await deliveries(client.app[POOL])
    base = hooks(site)
    calls = [
        ("POST", base, {"url": receiver.url}),
        ("GET", base, None),
        ("DELETE", f"{base}/{endpoint['id']}", None),
        ("POST", f"{base}/{endpoint['id']}/rotate-secret", None),
        ("GET", f"{base}/{endpoint['id']}/deliveries", None),
        ("POST", f"/v1/sites/{site.slug}/deliveries/{delivery['id']}/retry", None),
    ]
    for method, path, body in calls:
        for headers, expected in (
            ({}, 401),
            (site.auth(site.moderator), 403),
            (other_site.auth(other_site.admin), 404),
            (other_site.auth(other_site.moderator), 404),
        ):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status == expected, (method, path, expected)
    listed = await client.get(base, headers=site.auth(site.admin))
    assert [i["id"] for i in (await listed.json())["items"]] == [endpoint["id"]]


async def test_unknown_or_malformed_ids_are_404(client: TestClient, site: SiteFixture) -> None:
    admin = site.auth(site.admin)
    base = hooks(site)
    for method, path in (
        ("DELETE", f"{base}/999"),
        ("DELETE", f"{base}/abc"),
        ("POST", f"{base}/999/rotate-secret"),
        ("GET", f"{base}/999/deliveries"),
        ("GET", f"{base}/-1/deliveries"),
        ("POST", f"/v1/sites/{site.slug}/deliveries/999/retry"),
        ("POST", f"/v1/sites/{site.slug}/deliveries/99999999999999999999/retry"),
    ):
        response = await client.request(method, path, headers=admin)
        assert response.status == 404, (method, path)


async def test_deleting_an_endpoint_stops_its_pending_deliveries(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    kept = await register(client, site, receiver.url)
    doomed = await register(client, site, receiver.url + "/doomed")
    await post_comment(client, site)
    admin = site.auth(site.admin)
    response = await client.delete(f"{hooks(site)}/{doomed['id']}", headers=admin)
    assert response.status == 204
    listed = await (await client.get(hooks(site), headers=admin)).json()
    assert [i["id"] for i in listed["items"]] == [kept["id"]]

    await start_dispatcher()
    rows = await settled(client.app[POOL], 2)
    by_endpoint = {str(r["endpoint_id"]): r["status"] for r in rows}
    assert by_endpoint == {kept["id"]: "succeeded", doomed["id"]: "cancelled"}
    assert [r.path for r in receiver.requests] == ["/hook"]
    await post_comment(client, site, body="تعليق آخر")
    assert len(await settled(client.app[POOL], 3)) == 3  # nothing new for the deleted one
    again = await client.delete(f"{hooks(site)}/{doomed['id']}", headers=admin)
    assert again.status == 404
    history = await client.get(f"{hooks(site)}/{doomed['id']}/deliveries", headers=admin)
    assert history.status == 404


async def test_rotation_signs_with_both_secrets_until_the_grace_period_ends(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    endpoint = await register(client, site, receiver.url)
    admin = site.auth(site.admin)
    response = await client.post(f"{hooks(site)}/{endpoint['id']}/rotate-secret", headers=admin)
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    rotated = await response.json()
    old, new = endpoint["secret"], rotated["secret"]
    assert new.startswith("whsec_") and new != old and rotated["id"] == endpoint["id"]
    assert new not in await (await client.get(hooks(site), headers=admin)).text()

    await start_dispatcher()
    await post_comment(client, site)
    [during] = await receiver.wait_for(1)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(during.body, during.headers)

    pool = client.app[POOL]
    await pool.execute("UPDATE webhook_endpoints SET previous_secret_until = now()")
    await post_comment(client, site, body="بعد انتهاء المهلة")
    _, after = await receiver.wait_for(2)
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


async def test_the_deliveries_log_shows_attempts_and_pages_newest_first(
    client: TestClient, site: SiteFixture, receiver: Receiver, start_dispatcher: StartDispatcher
) -> None:
    endpoint = await register(client, site, receiver.url)
    receiver.script(Reply(500))
    for n in range(3):
        await post_comment(client, site, body=f"تعليق رقم {n}")
    await start_dispatcher()
    await settled(client.app[POOL], 3)
    path = f"{hooks(site)}/{endpoint['id']}/deliveries"
    admin = site.auth(site.admin)

    first = await (await client.get(path, params={"limit": "2"}, headers=admin)).json()
    rest = await (
        await client.get(path, params={"cursor": first["next_cursor"]}, headers=admin)
    ).json()
    assert rest["next_cursor"] is None
    items = first["items"] + rest["items"]
    # Newest first (ids are opaque: time order is created_at's, ties broken by id).
    order = [(i["created_at"], int(i["id"])) for i in items]
    assert order == sorted(order, reverse=True)
    assert len(items) == 3 and all(i["status"] == "succeeded" for i in items)
    assert {i["event"] for i in items} == {"comment.created"}
    assert len({i["webhook_id"] for i in items}) == 3
    retried = [i for i in items if len(i["attempts"]) == 2]
    assert len(retried) == 1
    one, two = retried[0]["attempts"]
    assert (one["attempt"], one["status_code"], two["attempt"], two["status_code"]) == (
        1,
        500,
        2,
        200,
    )
    assert one["at"] < two["at"] and one["duration_ms"] >= 0 and one["error"] is None
    assert all(i["next_attempt_at"] is None and i["completed_at"] for i in items)

    failed = await client.get(path, params={"status": "failed"}, headers=admin)
    assert (await failed.json())["items"] == []
    bad = await client.get(path, params={"status": "lost"}, headers=admin)
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "status"


async def test_a_pending_delivery_shows_its_next_attempt_and_cannot_be_retried(
    client: TestClient, site: SiteFixture, receiver: Receiver
) -> None:
    endpoint = await register(client, site, receiver.url)
    await post_comment(client, site)
    admin = site.auth(site.admin)
    path = f"{hooks(site)}/{endpoint['id']}/deliveries"
    [item] = (await (await client.get(path, headers=admin)).json())["items"]
    assert item["status"] == "pending" and item["next_attempt_at"] and item["attempts"] == []
    response = await client.post(
        f"/v1/sites/{site.slug}/deliveries/{item['id']}/retry", headers=admin
    )
    assert response.status == 409
    assert (await response.json())["current_status"] == "pending"
