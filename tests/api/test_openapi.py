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

from tests.conftest import SiteFixture, comment_payload, post_comment

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
    documented = {
        (path, method)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert served == documented


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
    return seen


async def test_real_responses_match_the_document(tour: list[tuple[Any, str, str]]) -> None:
    assert len(tour) > 20
    for response, path, method in tour:
        await conforms(response, path, method)
