"""The webhook outbox: a delivery per subscribed endpoint, written in the caller's transaction."""

from __future__ import annotations

from typing import Any

from .. import jsontext
from . import Connection

NOTIFY_CHANNEL = "moderation_webhooks"


async def enqueue(conn: Connection, site_id: int, event_type: str, payload: dict[str, Any]) -> int:
    """Queue `payload` for every live endpoint of the site subscribed to `event_type`.

    Runs inside the caller's transaction (the outbox pattern): the event exists exactly when the
    change it describes was committed. The NOTIFY, too, is only delivered on commit.
    """
    body = jsontext.dumps(payload)
    # One round trip: the rows, and a wake-up for the dispatchers only if there are any.
    row = await conn.fetchrow(
        """WITH queued AS (
               INSERT INTO webhook_deliveries
                      (site_id, endpoint_id, msg_id, event_type, body, next_attempt_at)
               SELECT $1, e.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), $2, $3, now()
                 FROM webhook_endpoints e
                WHERE e.site_id = $1 AND e.deleted_at IS NULL AND e.disabled_at IS NULL
                  AND $2 = ANY (e.events)
               RETURNING 1)
           SELECT n, CASE WHEN n > 0 THEN pg_notify($4, '') END AS woken
             FROM (SELECT count(*) AS n FROM queued) counted""",
        site_id,
        event_type,
        body,
        NOTIFY_CHANNEL,
    )
    assert row is not None  # an aggregate always returns its one row
    return int(row["n"])
