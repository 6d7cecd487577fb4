"""Webhook endpoints (admin token): register, list, delete, rotate the secret; deliveries with
their attempts, and retrying a failed one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .. import service
from ..auth import require_site
from ..config import SETTINGS
from ..db import POOL
from ..domain import Attempt, Delivery, DeliveryStatus, Endpoint, Role
from ..errors import FieldError
from ..events import ALL_EVENTS
from ..schemas import Fields, read_payload
from ..service.webhooks import NewEndpoint
from ..text.hygiene import clean_line
from ..views import iso, json_response
from ..webhooks.ssrf import MAX_URL_LENGTH
from .parsing import enum_query, id_of, page_query

routes = web.RouteTableDef()
ENDPOINTS = "/v1/sites/{site}/webhooks"
ENDPOINT = ENDPOINTS + "/{endpoint_id}"
DESCRIPTION_MAX = 500
NEW_ENDPOINT_FIELDS = frozenset({"url", "events", "description"})
NO_STORE = {"Cache-Control": "no-store"}


def endpoint_view(endpoint: Endpoint) -> dict[str, Any]:
    """Never the secret: that is shown only by `secret_view`, on creation and rotation."""
    return {
        "id": str(endpoint.id),
        "url": endpoint.url,
        "events": list(endpoint.events),
        "description": endpoint.description,
        "created_at": iso(endpoint.created_at),
        # Disabled when the receiver answered 410 Gone; POST …/enable takes deliveries again.
        "enabled": endpoint.disabled_at is None,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_at": iso(endpoint.disabled_at),
    }


def secret_view(endpoint: Endpoint) -> dict[str, Any]:
    return {**endpoint_view(endpoint), "secret": endpoint.secret}


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    return {
        "attempt": attempt.attempt,
        "at": iso(attempt.at),
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": round(attempt.duration_ms, 1),
    }


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    pending = delivery.status == DeliveryStatus.PENDING
    return {
        "id": str(delivery.id),
        "endpoint_id": str(delivery.endpoint_id),
        "event": delivery.event_type,
        "webhook_id": delivery.msg_id,
        "status": delivery.status.value,
        "attempts": [attempt_view(a) for a in delivery.history],
        "next_attempt_at": iso(delivery.next_attempt_at) if pending else None,
        "created_at": iso(delivery.created_at),
        "completed_at": iso(delivery.completed_at),
    }


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise FieldError("", "must be an http:// or https:// URL")
    if len(value) > MAX_URL_LENGTH:
        raise FieldError("", f"must be at most {MAX_URL_LENGTH:,} characters")
    return value


def _events(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise FieldError("", "must be a non-empty list of: " + ", ".join(ALL_EVENTS))
    unknown = [e for e in value if e not in ALL_EVENTS]
    if unknown:
        raise FieldError("", f"unknown event {unknown[0]!r}; events are: " + ", ".join(ALL_EVENTS))
    return tuple(dict.fromkeys(value))


def _description(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldError("", "must be a string")
    text = clean_line(value)
    if len(text) > DESCRIPTION_MAX:
        raise FieldError("", f"must be at most {DESCRIPTION_MAX} characters (got {len(text):,})")
    return text


def parse_new_endpoint(data: Mapping[str, Any]) -> NewEndpoint:
    fields = Fields(data)
    fields.errors.extend(
        FieldError(name, "is not a field") for name in data if name not in NEW_ENDPOINT_FIELDS
    )
    url = fields.take("url", _url)
    events = fields.take("events", _events, required=False)
    description = fields.take("description", _description, required=False)
    fields.check()
    assert url is not None
    return NewEndpoint(url, events or ALL_EVENTS, description or None)


@routes.post(ENDPOINTS)
async def create_endpoint(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    new = parse_new_endpoint(await read_payload(request))
    endpoint = await service.webhooks.register_endpoint(
        request.app[POOL], actor, new, allow_private=request.app[SETTINGS].webhook_allow_private
    )
    return json_response(secret_view(endpoint), status=201, headers=NO_STORE)


@routes.get(ENDPOINTS)
async def list_endpoints(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    endpoints = await service.webhooks.list_endpoints(request.app[POOL], actor)
    return json_response({"items": [endpoint_view(e) for e in endpoints]}, headers=NO_STORE)


@routes.delete(ENDPOINT)
async def delete_endpoint(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    endpoint_id = id_of(request, "endpoint_id", "webhook endpoint")
    await service.webhooks.delete_endpoint(request.app[POOL], actor, endpoint_id)
    return web.Response(status=204)


@routes.post(ENDPOINT + "/rotate-secret")
async def rotate_secret(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    endpoint_id = id_of(request, "endpoint_id", "webhook endpoint")
    endpoint = await service.webhooks.rotate_secret(request.app[POOL], actor, endpoint_id)
    return json_response(secret_view(endpoint), headers=NO_STORE)


@routes.post(ENDPOINT + "/enable")
async def enable_endpoint(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    endpoint_id = id_of(request, "endpoint_id", "webhook endpoint")
    endpoint = await service.webhooks.enable_endpoint(request.app[POOL], actor, endpoint_id)
    return json_response(endpoint_view(endpoint), headers=NO_STORE)


@routes.get(ENDPOINT + "/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    endpoint_id = id_of(request, "endpoint_id", "webhook endpoint")
    status = enum_query(request, "status", DeliveryStatus, None)
    cursor, limit = page_query(request)
    page = await service.webhooks.delivery_page(
        request.app[POOL], actor, endpoint_id, status, cursor, limit
    )
    return json_response(
        {"items": [delivery_view(d) for d in page.items], "next_cursor": page.next_cursor},
        headers=NO_STORE,
    )


@routes.post("/v1/sites/{site}/deliveries/{delivery_id}/retry")
async def retry_delivery(request: web.Request) -> web.Response:
    actor = await require_site(request, Role.ADMIN)
    delivery_id = id_of(request, "delivery_id", "delivery")
    delivery = await service.webhooks.retry_delivery(request.app[POOL], actor, delivery_id)
    return json_response(delivery_view(delivery), status=202, headers=NO_STORE)
