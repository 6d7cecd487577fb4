"""The OpenAPI document is valid, covers every route, and real responses match it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from moderation.app import create_app
from tests.conftest import SiteFixture, comment_payload, make_settings, post_comment

DOCUMENT: dict[str, Any] = json.loads(
    resources.files("moderation").joinpath("openapi.json").read_text(encoding="utf-8")
)
BASE = "urn:moderation:openapi"
REGISTRY = Registry().with_resource(
    BASE, Resource.from_contents({"$id": BASE, **DOCUMENT}, default_specification=DRAFT202012)
)


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1")
    validate_spec(DOCUMENT)


def test_every_route_is_documented_and_every_documented_route_exists(client: TestClient) -> None:
    served = set()
    for route in client.app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        served.add((route.resource.canonical, route.method.lower()))
    assert served == documented_routes(development=False)


def documented_routes(*, development: bool) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method != "parameters" and (development or not operation.get("x-development-only"))
    }


async def test_development_mode_serves_exactly_the_documented_demo_routes(
    aiohttp_client: Any, database_url: str
) -> None:
    client = await aiohttp_client(create_app(make_settings(database_url, development=True)))
    served = {
        (route.resource.canonical, route.method.lower())
        for route in client.app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    assert served == documented_routes(development=True)


async def conforms(response: ClientResponse, path: str, method: str) -> None:
    """Fail unless the response's status is documented and its body matches the schema."""
    operation = DOCUMENT["paths"][path][method]
    status = str(response.status)
    assert status in operation["responses"], (
        f"{method.upper()} {path} answered undocumented {status}"
    )
    spec = operation["responses"][status]
    if "content" not in spec:
        return
    assert response.content_type in spec["content"], (path, response.content_type)
    schema = spec["content"][response.content_type]["schema"]
    if "$ref" in schema:
        schema = {"$ref": BASE + schema["$ref"]}
    if response.content_type.endswith("json"):
        body = await response.json(content_type=None)
        errors = sorted(Draft202012Validator(schema, registry=REGISTRY).iter_errors(body), key=str)
        assert not errors, f"{method.upper()} {path} {status}: {errors[0].message}"


@pytest.fixture
async def tour(
    client: TestClient, site: SiteFixture, other_site: SiteFixture
) -> list[tuple[Any, str, str]]:
    """A walk through the whole API, good requests and bad, recording every response."""
    seen: list[tuple[Any, str, str]] = []
    comments_path = "/v1/sites/{site}/comments"
    base = f"/v1/sites/{site.slug}"

    async def call(method: str, template: str, url: str, **kwargs: Any) -> Any:
        response = await client.request(method, url, **kwargs)
        seen.append((response, template, method.lower()))
        return response

    admin, moderator = site.auth(site.admin), site.auth()
    posted = await post_comment(client, site, body="أول تعليق <b>مهم</b> https://example.com/x")
    await call("POST", comments_path, f"{base}/comments", json=comment_payload(body="ثاني"))
    await call("POST", comments_path, f"{base}/comments", json={})
    await call(
        "POST",
        comments_path,
        f"{base}/comments",
        data=b"{",
        headers={"Content-Type": "application/json"},
    )
    await call(
        "POST", comments_path, f"{base}/comments", data=b"x", headers={"Content-Type": "text/plain"}
    )
    await call("POST", comments_path, "/v1/sites/nowhere/comments", json=comment_payload())
    await call(
        "POST", comments_path, f"{base}/comments", json=comment_payload(body="ثاني")
    )  # duplicate
    await call(
        "OPTIONS", comments_path, f"{base}/comments", headers={"Origin": "https://daily.example"}
    )
    queue = "/v1/sites/{site}/queue"
    await call("GET", queue, f"{base}/queue", headers=moderator)
    await call("GET", queue, f"{base}/queue", params={"status": "nope"}, headers=moderator)
    await call("GET", queue, f"{base}/queue")
    await call("GET", queue, f"{base}/queue", headers=other_site.auth())
    detail = "/v1/comments/{comment_id}"
    await call(
        "POST",
        detail + "/approve",
        f"/v1/comments/{posted['id']}/approve",
        json={"note": "ok"},
        headers=moderator,
    )
    await call(
        "POST", detail + "/approve", f"/v1/comments/{posted['id']}/approve", headers=moderator
    )
    await call(
        "POST",
        detail + "/reject",
        f"/v1/comments/{posted['id']}/reject",
        json={},
        headers=moderator,
    )
    await call("GET", detail, f"/v1/comments/{posted['id']}", headers=moderator)
    await call("GET", detail, "/v1/comments/999999", headers=moderator)
    thread = {"thread": "politics/2026/elections"}
    first = await call("GET", comments_path, f"{base}/comments", params=thread)
    await call(
        "GET",
        comments_path,
        f"{base}/comments",
        params=thread,
        headers={"If-None-Match": first.headers["ETag"]},
    )
    await call("GET", comments_path, f"{base}/comments", params={"thread": "x", "limit": "0"})
    settings = "/v1/sites/{site}/settings"
    await call("GET", settings, f"{base}/settings", headers=admin)
    await call("GET", settings, f"{base}/settings", headers=moderator)
    await call(
        "PATCH", settings, f"{base}/settings", json={"suspect_terms": ["كذب"]}, headers=admin
    )
    await call("PATCH", settings, f"{base}/settings", json={"policy": 1}, headers=admin)
    hooks, hook = "/v1/sites/{site}/webhooks", "/v1/sites/{site}/webhooks/{endpoint_id}"
    created = await call(
        "POST", hooks, f"{base}/webhooks", json={"url": "http://127.0.0.1:9/h"}, headers=admin
    )
    endpoint_id = (await created.json())["id"]
    await call(
        "POST",
        hooks,
        f"{base}/webhooks",
        json={"url": "ftp://x", "events": ["nope"]},
        headers=admin,
    )
    await call(
        "POST", hooks, f"{base}/webhooks", json={"url": "http://127.0.0.1:9/h"}, headers=moderator
    )
    await call("GET", hooks, f"{base}/webhooks", headers=admin)
    await call(
        "POST",
        hook + "/rotate-secret",
        f"{base}/webhooks/{endpoint_id}/rotate-secret",
        headers=admin,
    )
    await call(
        "GET", hook + "/deliveries", f"{base}/webhooks/{endpoint_id}/deliveries", headers=admin
    )
    await call(
        "GET",
        hook + "/deliveries",
        f"{base}/webhooks/{endpoint_id}/deliveries",
        params={"status": "x"},
        headers=admin,
    )
    retry = "/v1/sites/{site}/deliveries/{delivery_id}/retry"
    await call("POST", retry, f"{base}/deliveries/424242/retry", headers=admin)
    await call("DELETE", hook, f"{base}/webhooks/{endpoint_id}", headers=admin)
    await call(
        "DELETE", hook, f"{base}/webhooks/{endpoint_id}", headers=other_site.auth(other_site.admin)
    )
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        await call("GET", path, path)
    await console_tour(call, site, base, posted["id"])
    subjects = "/v1/sites/{site}/data-subjects"
    sara = {"email": "sara@example.com"}
    await call(
        "POST", subjects + "/export", f"{base}/data-subjects/export", json=sara, headers=admin
    )
    await call("POST", subjects + "/export", f"{base}/data-subjects/export", json={}, headers=admin)
    await call(
        "POST", subjects + "/erase", f"{base}/data-subjects/erase", json=sara, headers=moderator
    )
    await call(
        "POST",
        subjects + "/erase",
        f"{base}/data-subjects/erase",
        json={**sara, "mode": "shred"},
        headers=admin,
    )
    await call(
        "POST",
        subjects + "/erase",
        f"{base}/data-subjects/erase",
        json={**sara, "mode": "delete"},
        headers=admin,
    )
    return seen


async def console_tour(call: Any, site: SiteFixture, base: str, decided_id: str) -> None:
    """Claims, re-decisions, the no-JavaScript form, and the console's cookie session (last:
    the cookie jar would otherwise sign in the tour's unauthenticated calls)."""
    comments_path, moderator = "/v1/sites/{site}/comments", site.auth()
    await call(
        "POST",
        comments_path,
        f"{base}/comments",
        data={
            **comment_payload(body="نموذج بلا جافاسكربت"),
            "return_to": "https://daily.example/a",
        },
        allow_redirects=False,
    )
    claim = "/v1/sites/{site}/queue/claim"
    await call("POST", claim, f"{base}/queue/claim", json={"limit": 5}, headers=moderator)
    await call("POST", claim, f"{base}/queue/claim", headers=moderator)
    await call("POST", claim, f"{base}/queue/claim", json={"limit": 0}, headers=moderator)
    await call("POST", claim, f"{base}/queue/claim", json={})
    await call("DELETE", claim, f"{base}/queue/claim", headers=moderator)
    reject = "/v1/comments/{comment_id}/reject"
    await call(
        "POST",
        reject,
        f"/v1/comments/{decided_id}/reject",
        json={"reason": "offensive", "expected_status": "approved"},
        headers=moderator,
    )
    await call(
        "POST",
        "/v1/comments/{comment_id}/approve",
        f"/v1/comments/{decided_id}/approve",
        json={"expected_status": "nope"},
        headers=moderator,
    )
    for path, url in (
        ("/moderate/", "/moderate/"),
        ("/moderate/{asset}", "/moderate/console.js"),
        ("/moderate/{asset}", "/moderate/console.css"),
        ("/moderate/{asset}", "/moderate/nope.txt"),
        ("/embed.js", "/embed.js"),
    ):
        await call("GET", path, url)
    session = "/moderate/session"
    await call("GET", session, session)
    await call("POST", session, session, json={"token": "cmod_nope"})
    await call(
        "POST",
        session,
        session,
        data={"token": site.moderator},
        headers={"Origin": "https://evil.example"},
    )
    await call("POST", session, session, data={"token": site.moderator}, allow_redirects=False)
    signed_in = await call("POST", session, session, json={"token": site.moderator})
    csrf = {"X-CSRF-Token": (await signed_in.json())["csrf_token"]}
    await call("GET", session, session)
    await call("POST", claim, f"{base}/queue/claim", json={}, headers=csrf)
    await call("POST", reject, f"/v1/comments/{decided_id}/reject", json={"reason": "spam"})
    await call("DELETE", session, session)
    await call("DELETE", session, session, headers=csrf)


async def test_real_responses_match_the_document(tour: list[tuple[Any, str, str]]) -> None:
    assert len(tour) > 20
    for response, path, method in tour:
        await conforms(response, path, method)


async def test_the_demo_article_is_documented_as_404_in_production(client: TestClient) -> None:
    response = await client.get("/demo/")
    assert response.status == 404
    await conforms(response, "/demo/", "get")


def test_every_operation_with_a_body_documents_the_body_time_limit_and_size_limit() -> None:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            if method != "parameters" and "requestBody" in operation:
                assert {"408", "413"} <= set(operation["responses"]), (method, path)
