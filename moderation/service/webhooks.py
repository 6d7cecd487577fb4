"""Webhook use cases, one transaction each: register, list, delete and rotate endpoints; list
deliveries and retry a failed one. Callable from HTTP handlers and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from ..domain import Actor, Delivery, DeliveryStatus, Endpoint
from ..errors import Conflict, Invalid, NotFound
from ..events import Event, envelope
from ..pagination import Cursor, Page, encode_cursor, page_of
from ..store import webhooks
from ..views import iso
from ..webhooks import signing, ssrf

# After a rotation the old secret keeps signing beside the new one, so receivers can switch.
GONE = "gone"
ROTATION_GRACE_SECONDS = 24 * 60 * 60


class NotRetryable(Conflict):
    slug = "not-retryable"
    title = "Delivery not retryable"


@dataclass(frozen=True, slots=True)
class NewEndpoint:
    url: str
    events: tuple[str, ...]
    description: str | None


async def register_endpoint(
    pool: asyncpg.Pool, actor: Actor, new: NewEndpoint, *, allow_private: bool
) -> Endpoint:
    """Check the URL (syntax, and unless allow_private, that every address it resolves to is
    public) and store the endpoint with a fresh secret. Raises Invalid naming `url`."""
    try:
        url = await ssrf.check_destination(new.url, allow_private=allow_private)
    except (ssrf.UnsafeURL, ssrf.BlockedDestination) as exc:
        raise Invalid.one("url", str(exc)) from None
    async with pool.acquire() as conn:
        return await webhooks.insert_endpoint(
            conn, actor.site_id, url, new.events, new.description, signing.new_secret()
        )


async def list_endpoints(pool: asyncpg.Pool, actor: Actor) -> list[Endpoint]:
    async with pool.acquire() as conn:
        return await webhooks.live_endpoints(conn, actor.site_id)


async def delete_endpoint(pool: asyncpg.Pool, actor: Actor, endpoint_id: int) -> None:
    """Delete the endpoint and cancel its pending deliveries. Raises NotFound."""
    async with pool.acquire() as conn, conn.transaction():
        if not await webhooks.delete_endpoint(conn, actor.site_id, endpoint_id):
            raise NotFound("no such webhook endpoint")


async def rotate_secret(pool: asyncpg.Pool, actor: Actor, endpoint_id: int) -> Endpoint:
    """A new secret; the previous one also signs for 24 hours. Raises NotFound."""
    async with pool.acquire() as conn:
        endpoint = await webhooks.rotate_secret(
            conn, actor.site_id, endpoint_id, signing.new_secret(), ROTATION_GRACE_SECONDS
        )
    if endpoint is None:
        raise NotFound("no such webhook endpoint")
    return endpoint


async def enable_endpoint(pool: asyncpg.Pool, actor: Actor, endpoint_id: int) -> Endpoint:
    """Take deliveries again after the endpoint was disabled. Raises NotFound."""
    async with pool.acquire() as conn:
        endpoint = await webhooks.enable_endpoint(conn, actor.site_id, endpoint_id)
    if endpoint is None:
        raise NotFound("no such webhook endpoint")
    return endpoint


async def disable_gone(pool: asyncpg.Pool, site_id: int, endpoint_id: int) -> Endpoint | None:
    """The receiver answered 410 Gone: disable the endpoint, cancel its pending deliveries and
    tell the site's other endpoints (`endpoint.disabled`), in one transaction. None if it was
    already disabled or deleted."""
    async with pool.acquire() as conn, conn.transaction():
        endpoint = await webhooks.disable_endpoint(conn, site_id, endpoint_id, GONE)
        if endpoint is not None:
            await webhooks.enqueue(
                conn,
                site_id,
                Event.ENDPOINT_DISABLED.value,
                envelope(Event.ENDPOINT_DISABLED, disabled_view(endpoint)),
            )
    return endpoint


def disabled_view(endpoint: Endpoint) -> dict[str, Any]:
    """The endpoint as the `endpoint.disabled` event shows it (never the secret)."""
    return {
        "id": str(endpoint.id),
        "url": endpoint.url,
        "enabled": False,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_at": iso(endpoint.disabled_at),
    }


async def delivery_page(
    pool: asyncpg.Pool,
    actor: Actor,
    endpoint_id: int,
    status: DeliveryStatus | None,
    after: Cursor | None,
    limit: int,
) -> Page[Delivery]:
    """An endpoint's deliveries, newest first, with their attempts. Raises NotFound."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        if await webhooks.live_endpoint(conn, actor.site_id, endpoint_id) is None:
            raise NotFound("no such webhook endpoint")
        rows = await webhooks.delivery_page(
            conn,
            actor.site_id,
            endpoint_id,
            status,
            None if after is None else (after.at, after.id),
            limit + 1,
        )
    return page_of(rows, limit, lambda last: encode_cursor(last.created_at, last.id))


async def retry_delivery(pool: asyncpg.Pool, actor: Actor, delivery_id: int) -> Delivery:
    """Send a failed delivery again now, with one more attempt allowed.

    Raises NotFound, or NotRetryable when it isn't failed or its endpoint was deleted."""
    async with pool.acquire() as conn, conn.transaction():
        delivery = await webhooks.retry_failed(conn, actor.site_id, delivery_id)
        if delivery is None:
            state = await webhooks.delivery_state(conn, actor.site_id, delivery_id)
            if state is None:
                raise NotFound("no such delivery")
            status, closed = state
            if closed is not None:
                raise NotRetryable(f"the delivery's webhook endpoint is {closed}")
            raise NotRetryable(
                f"only a failed delivery can be retried; this one is {status.value}",
                current_status=status.value,
            )
        await webhooks.notify(conn)
    return delivery
