-- Webhooks: endpoints per site, and a transactional outbox of deliveries with their attempts.
CREATE TABLE webhook_endpoints (
    site_id                bigint NOT NULL REFERENCES sites (id),
    id                     bigint GENERATED ALWAYS AS IDENTITY,
    url                    text NOT NULL CHECK (char_length(url) <= 2000),
    events                 text[] NOT NULL,
    description            text CHECK (char_length(description) <= 500),
    secret                 text NOT NULL,
    -- After a rotation the old secret keeps signing (beside the new one) until it expires,
    -- so receivers can switch without losing a delivery.
    previous_secret        text,
    previous_secret_until  timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz,
    PRIMARY KEY (site_id, id)
);
CREATE INDEX webhook_endpoints_live ON webhook_endpoints (site_id) WHERE deleted_at IS NULL;

CREATE TABLE webhook_deliveries (
    site_id           bigint NOT NULL REFERENCES sites (id),
    id                bigint GENERATED ALWAYS AS IDENTITY,
    endpoint_id       bigint NOT NULL,
    -- The Standard Webhooks `webhook-id`: the same on every attempt of this delivery.
    msg_id            text NOT NULL UNIQUE,
    event_type        text NOT NULL,
    -- The exact bytes that are signed and sent, serialized once when the event happened.
    body              text NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'succeeded', 'failed', 'cancelled')),
    attempts          integer NOT NULL DEFAULT 0,
    -- NULL: as many as the retry schedule allows; a manual retry allows one more.
    attempts_allowed  integer,
    next_attempt_at   timestamptz,
    locked_until      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    completed_at      timestamptz,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, endpoint_id) REFERENCES webhook_endpoints (site_id, id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (site_id, endpoint_id, id DESC);

CREATE TABLE webhook_attempts (
    site_id       bigint NOT NULL REFERENCES sites (id),
    id            bigint GENERATED ALWAYS AS IDENTITY,
    delivery_id   bigint NOT NULL,
    attempt       integer NOT NULL,
    at            timestamptz NOT NULL DEFAULT now(),
    status_code   integer,
    error         text,
    duration_ms   double precision NOT NULL,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, delivery_id) REFERENCES webhook_deliveries (site_id, id),
    UNIQUE (site_id, delivery_id, attempt)
);
