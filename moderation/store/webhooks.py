"""Webhook endpoints and the outbox of their deliveries and attempts, all its SQL: registration,
queueing an event in the caller's transaction, the dispatcher's claims (SKIP LOCKED + lease)
and the batched recording of results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import jsontext
from ..domain import Attempt, Delivery, DeliveryStatus, Endpoint
from . import Connection, rows_affected

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


ENDPOINT_COLUMNS = (
    "site_id, id, url, events, description, secret, created_at, disabled_at, disabled_reason"
)
_DELIVERY_FIELDS = (
    "site_id",
    "id",
    "endpoint_id",
    "msg_id",
    "event_type",
    "status",
    "attempts",
    "attempts_allowed",
    "next_attempt_at",
    "created_at",
    "completed_at",
)
DELIVERY_COLUMNS = ", ".join(_DELIVERY_FIELDS)
D_DELIVERY_COLUMNS = ", ".join(f"d.{name}" for name in _DELIVERY_FIELDS)


@dataclass(frozen=True, slots=True)
class Claim:
    """A delivery claimed for one attempt: `attempt` is also the fencing token of the claim."""

    site_id: int
    id: int
    endpoint_id: int
    msg_id: str
    body: str
    attempt: int
    attempts_allowed: int | None
    url: str
    # The current secret first; during a rotation's grace period also the previous one.
    secrets: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Result:
    """What one attempt came to, and what the delivery becomes (`delay` only when pending)."""

    site_id: int
    id: int
    endpoint_id: int
    attempt: int
    status: DeliveryStatus
    delay: float | None
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float

    @property
    def gone(self) -> bool:
        """The receiver answered 410 Gone: its endpoint is to be disabled."""
        return self.status_code == 410


def _endpoint(row: Any) -> Endpoint:
    return Endpoint(
        site_id=row["site_id"],
        id=row["id"],
        url=row["url"],
        events=tuple(row["events"]),
        description=row["description"],
        created_at=row["created_at"],
        secret=row["secret"],
        disabled_at=row["disabled_at"],
        disabled_reason=row["disabled_reason"],
    )


def _delivery(row: Any, history: Sequence[Attempt] = ()) -> Delivery:
    values = dict(row)
    values["status"] = DeliveryStatus(values["status"])
    return Delivery(**values, history=tuple(history))


async def notify(conn: Connection) -> None:
    """Wake the dispatchers when the caller's transaction commits."""
    await conn.execute("SELECT pg_notify($1, '')", NOTIFY_CHANNEL)


# Endpoints ---------------------------------------------------------------------------------


async def insert_endpoint(
    conn: Connection,
    site_id: int,
    url: str,
    events: Sequence[str],
    description: str | None,
    secret: str,
) -> Endpoint:
    row = await conn.fetchrow(
        f"""INSERT INTO webhook_endpoints (site_id, url, events, description, secret)
            VALUES ($1, $2, $3, $4, $5)
            RETURNING {ENDPOINT_COLUMNS}""",
        site_id,
        url,
        list(events),
        description,
        secret,
    )
    return _endpoint(row)


async def live_endpoints(conn: Connection, site_id: int) -> list[Endpoint]:
    rows = await conn.fetch(
        f"""SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints
             WHERE site_id = $1 AND deleted_at IS NULL
             ORDER BY created_at, id""",
        site_id,
    )
    return [_endpoint(row) for row in rows]


async def live_endpoint(conn: Connection, site_id: int, endpoint_id: int) -> Endpoint | None:
    row = await conn.fetchrow(
        f"""SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints
             WHERE site_id = $1 AND id = $2 AND deleted_at IS NULL""",
        site_id,
        endpoint_id,
    )
    return None if row is None else _endpoint(row)


async def delete_endpoint(conn: Connection, site_id: int, endpoint_id: int) -> bool:
    """Mark the endpoint deleted and cancel its pending deliveries; False if it wasn't live."""
    deleted = await conn.fetchval(
        """UPDATE webhook_endpoints SET deleted_at = now()
            WHERE site_id = $1 AND id = $2 AND deleted_at IS NULL
        RETURNING id""",
        site_id,
        endpoint_id,
    )
    if deleted is None:
        return False
    await _cancel_pending(conn, site_id, endpoint_id)
    return True


async def disable_endpoint(
    conn: Connection, site_id: int, endpoint_id: int, reason: str
) -> Endpoint | None:
    """Disable a live, enabled endpoint and cancel its pending deliveries (as deleting does);
    None if it was already disabled or deleted. Expects a transaction."""
    row = await conn.fetchrow(
        f"""UPDATE webhook_endpoints SET disabled_at = now(), disabled_reason = $3
             WHERE site_id = $1 AND id = $2 AND deleted_at IS NULL AND disabled_at IS NULL
         RETURNING {ENDPOINT_COLUMNS}""",
        site_id,
        endpoint_id,
        reason,
    )
    if row is None:
        return None
    await _cancel_pending(conn, site_id, endpoint_id)
    return _endpoint(row)


async def enable_endpoint(conn: Connection, site_id: int, endpoint_id: int) -> Endpoint | None:
    """Enable a live endpoint again (a no-op if it is enabled); None if there is none."""
    row = await conn.fetchrow(
        f"""UPDATE webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL
             WHERE site_id = $1 AND id = $2 AND deleted_at IS NULL
         RETURNING {ENDPOINT_COLUMNS}""",
        site_id,
        endpoint_id,
    )
    return None if row is None else _endpoint(row)


async def _cancel_pending(conn: Connection, site_id: int, endpoint_id: int) -> None:
    # A dispatcher still sending one of these records its result with `status = 'pending'` as
    # a guard, so a cancelled delivery stays cancelled.
    await conn.execute(
        """UPDATE webhook_deliveries
              SET status = 'cancelled', completed_at = now(), next_attempt_at = NULL,
                  locked_until = NULL
            WHERE site_id = $1 AND endpoint_id = $2 AND status = 'pending'""",
        site_id,
        endpoint_id,
    )


async def rotate_secret(
    conn: Connection, site_id: int, endpoint_id: int, secret: str, grace_seconds: float
) -> Endpoint | None:
    """Replace the secret; the one replaced keeps signing alongside for `grace_seconds`."""
    row = await conn.fetchrow(
        f"""UPDATE webhook_endpoints
               SET previous_secret = secret,
                   previous_secret_until = now() + make_interval(secs => $4),
                   secret = $3
             WHERE site_id = $1 AND id = $2 AND deleted_at IS NULL
         RETURNING {ENDPOINT_COLUMNS}""",
        site_id,
        endpoint_id,
        secret,
        grace_seconds,
    )
    return None if row is None else _endpoint(row)


# Deliveries as the API shows them ------------------------------------------------------------


async def delivery_page(
    conn: Connection,
    site_id: int,
    endpoint_id: int,
    status: DeliveryStatus | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[Delivery]:
    """Newest first, keyset on (created_at, id) (ids are opaque, not in time order), each with
    its attempts."""
    rows = await conn.fetch(
        f"""SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
             WHERE site_id = $1 AND endpoint_id = $2
               AND ($3::text IS NULL OR status = $3)
               AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::bigint))
             ORDER BY created_at DESC, id DESC
             LIMIT $6""",
        site_id,
        endpoint_id,
        None if status is None else status.value,
        None if before is None else before[0],
        None if before is None else before[1],
        limit,
    )
    attempts = await _attempts_of(conn, site_id, [row["id"] for row in rows])
    return [_delivery(row, attempts.get(row["id"], ())) for row in rows]


async def _with_attempts(conn: Connection, site_id: int, row: Any) -> Delivery:
    attempts = await _attempts_of(conn, site_id, [row["id"]])
    return _delivery(row, attempts.get(row["id"], ()))


async def _attempts_of(
    conn: Connection, site_id: int, delivery_ids: list[int]
) -> dict[int, list[Attempt]]:
    if not delivery_ids:
        return {}
    rows = await conn.fetch(
        """SELECT delivery_id, attempt, at, status_code, error, duration_ms
             FROM webhook_attempts
            WHERE site_id = $1 AND delivery_id = ANY ($2::bigint[])
            ORDER BY delivery_id, attempt""",
        site_id,
        delivery_ids,
    )
    attempts: dict[int, list[Attempt]] = {}
    for row in rows:
        attempts.setdefault(row["delivery_id"], []).append(
            Attempt(
                attempt=row["attempt"],
                at=row["at"],
                status_code=row["status_code"],
                error=row["error"],
                duration_ms=row["duration_ms"],
            )
        )
    return attempts


async def retry_failed(conn: Connection, site_id: int, delivery_id: int) -> Delivery | None:
    """A failed delivery of a live endpoint becomes pending, due now, with one more attempt
    allowed; None if the delivery isn't failed (or its endpoint is deleted or disabled)."""
    row = await conn.fetchrow(
        f"""UPDATE webhook_deliveries d
               SET status = 'pending', next_attempt_at = now(), locked_until = NULL,
                   completed_at = NULL, attempts_allowed = d.attempts + 1
              FROM webhook_endpoints e
             WHERE d.site_id = $1 AND d.id = $2 AND d.status = 'failed'
               AND e.site_id = d.site_id AND e.id = d.endpoint_id AND e.deleted_at IS NULL
               AND e.disabled_at IS NULL
         RETURNING {D_DELIVERY_COLUMNS}""",
        site_id,
        delivery_id,
    )
    return None if row is None else await _with_attempts(conn, site_id, row)


async def delivery_state(
    conn: Connection, site_id: int, delivery_id: int
) -> tuple[DeliveryStatus, str | None] | None:
    """(status, why its endpoint takes nothing: "deleted", "disabled" or None), or None if
    there is no such delivery."""
    row = await conn.fetchrow(
        """SELECT d.status,
                  CASE WHEN e.deleted_at IS NOT NULL THEN 'deleted'
                       WHEN e.disabled_at IS NOT NULL THEN 'disabled' END AS closed
             FROM webhook_deliveries d
             JOIN webhook_endpoints e ON e.site_id = d.site_id AND e.id = d.endpoint_id
            WHERE d.site_id = $1 AND d.id = $2""",
        site_id,
        delivery_id,
    )
    return None if row is None else (DeliveryStatus(row["status"]), row["closed"])


# The dispatcher ------------------------------------------------------------------------------

# Fair claims: for each live, enabled endpoint, its oldest due deliveries, at most as many as
# the endpoint has room for in this dispatcher ($6 minus what it already sends there, given as
# arrays $3-$5), each row locked with SKIP LOCKED (rows another dispatcher holds are passed
# over); then the oldest of all those, up to $1. The UPDATE leases them and counts the attempt,
# in one statement and one short transaction: `attempts` after the increment is the attempt
# number and the claim's fencing token. One index probe per endpoint
# (webhook_deliveries_endpoint_due), so a receiver's backlog costs nothing to the others.
CLAIM_DUE = """
-- cross-tenant: every dispatcher serves every site
UPDATE webhook_deliveries d
   SET locked_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
  FROM (SELECT c.site_id, c.id
          FROM webhook_endpoints de
          LEFT JOIN unnest($3::bigint[], $4::bigint[], $5::integer[]) AS b(site_id, id, n)
            ON b.site_id = de.site_id AND b.id = de.id
         CROSS JOIN LATERAL (
               SELECT dd.site_id, dd.id, dd.next_attempt_at
                 FROM webhook_deliveries dd
                WHERE dd.site_id = de.site_id AND dd.endpoint_id = de.id
                  AND dd.status = 'pending' AND dd.next_attempt_at <= now()
                  AND (dd.locked_until IS NULL OR dd.locked_until < now())
                ORDER BY dd.next_attempt_at
                LIMIT greatest($6 - coalesce(b.n, 0), 0)
                  FOR UPDATE OF dd SKIP LOCKED) c
         WHERE de.deleted_at IS NULL AND de.disabled_at IS NULL
         ORDER BY c.next_attempt_at
         LIMIT $1) due,
       webhook_endpoints e
 WHERE d.site_id = due.site_id AND d.id = due.id
   AND e.site_id = d.site_id AND e.id = d.endpoint_id
RETURNING d.site_id, d.id, d.endpoint_id, d.msg_id, d.body, d.attempts, d.attempts_allowed,
          e.url, e.secret,
          CASE WHEN e.previous_secret_until > now() THEN e.previous_secret END AS previous_secret
"""


async def claim_due(
    conn: Connection,
    limit: int,
    lease_seconds: float,
    *,
    per_endpoint: int | None = None,
    busy: Mapping[tuple[int, int], int] | None = None,
) -> list[Claim]:
    """Up to `limit` due deliveries, at most `per_endpoint` (default: no cap beyond `limit`)
    per endpoint counting the attempts `busy` says are already in flight there
    ((site_id, endpoint_id) → count)."""
    busy = busy or {}
    rows = await conn.fetch(
        CLAIM_DUE,
        limit,
        lease_seconds,
        [key[0] for key in busy],
        [key[1] for key in busy],
        list(busy.values()),
        limit if per_endpoint is None else per_endpoint,
    )
    return [
        Claim(
            site_id=row["site_id"],
            id=row["id"],
            endpoint_id=row["endpoint_id"],
            msg_id=row["msg_id"],
            body=row["body"],
            attempt=row["attempts"],
            attempts_allowed=row["attempts_allowed"],
            url=row["url"],
            secrets=(row["secret"],)
            + ((row["previous_secret"],) if row["previous_secret"] else ()),
        )
        for row in rows
    ]


async def seconds_until_next_due(conn: Connection) -> float | None:
    """Seconds until the earliest pending delivery that isn't due yet becomes due."""
    value = await conn.fetchval(
        """-- cross-tenant: when any site's next delivery is due
           SELECT extract(epoch FROM min(next_attempt_at) - now())
             FROM webhook_deliveries
            WHERE status = 'pending' AND next_attempt_at > now()"""
    )
    return None if value is None else float(value)


async def record_results(conn: Connection, results: Sequence[Result]) -> int:
    """Write a batch of attempts and move their deliveries on; returns how many moved.

    Every attempt is kept as history, but a delivery only changes when it is still pending and
    still at the attempt that was sent: a dispatcher whose lease expired and was claimed again
    (or whose endpoint was deleted meanwhile) cannot overwrite the newer state.
    """
    if not results:
        return 0
    status = await conn.execute(
        """
        -- cross-tenant: one batch of results, from deliveries of many sites
        WITH result AS (
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::text[],
                                 $5::float8[], $6::timestamptz[], $7::integer[], $8::text[],
                                 $9::float8[])
                AS r(site_id, id, attempt, status, delay, at, status_code, error, duration_ms)
        ), history AS (
            INSERT INTO webhook_attempts
                   (site_id, delivery_id, attempt, at, status_code, error, duration_ms)
            SELECT site_id, id, attempt, at, status_code, error, duration_ms FROM result
                ON CONFLICT (site_id, delivery_id, attempt) DO NOTHING
        )
        UPDATE webhook_deliveries d
           SET status = r.status,
               next_attempt_at = CASE WHEN r.status = 'pending'
                                      THEN now() + make_interval(secs => r.delay) END,
               locked_until = NULL,
               completed_at = CASE WHEN r.status = 'pending' THEN NULL ELSE now() END
          FROM result r
         WHERE d.site_id = r.site_id AND d.id = r.id
           AND d.attempts = r.attempt AND d.status = 'pending'
        """,
        [r.site_id for r in results],
        [r.id for r in results],
        [r.attempt for r in results],
        [r.status.value for r in results],
        [r.delay for r in results],
        [r.at for r in results],
        [r.status_code for r in results],
        [r.error for r in results],
        [r.duration_ms for r in results],
    )
    return rows_affected(status)


async def release(conn: Connection, claims: Sequence[Claim]) -> int:
    """Give back claims whose attempt never finished (shutdown): due again at once, and the
    attempt not counted."""
    if not claims:
        return 0
    status = await conn.execute(
        """-- cross-tenant: a dispatcher's claims span sites
           UPDATE webhook_deliveries d
              SET locked_until = NULL, attempts = d.attempts - 1
             FROM unnest($1::bigint[], $2::bigint[], $3::integer[]) AS r(site_id, id, attempt)
            WHERE d.site_id = r.site_id AND d.id = r.id
              AND d.attempts = r.attempt AND d.status = 'pending'""",
        [c.site_id for c in claims],
        [c.id for c in claims],
        [c.attempt for c in claims],
    )
    return rows_affected(status)


async def oldest_due_age(conn: Connection) -> float:
    """Seconds the oldest due, unclaimed delivery has been waiting (0 when there is none)."""
    value = await conn.fetchval(
        """-- cross-tenant: the backlog gauge over every site
           SELECT extract(epoch FROM now() - min(next_attempt_at))
             FROM webhook_deliveries
            WHERE status = 'pending' AND next_attempt_at <= now()
              AND (locked_until IS NULL OR locked_until < now())"""
    )
    return 0.0 if value is None else max(0.0, float(value))
