-- Webhook endpoints can be disabled (a receiver answered 410 Gone) and enabled again.
ALTER TABLE webhook_endpoints
    ADD COLUMN disabled_at      timestamptz,
    ADD COLUMN disabled_reason  text CHECK (disabled_reason IN ('gone')),
    ADD CONSTRAINT webhook_endpoints_disabled_has_reason
        CHECK ((disabled_at IS NULL) = (disabled_reason IS NULL));

-- The dispatcher claims the oldest due deliveries of each endpoint, a few per endpoint, so one
-- receiver that never answers cannot hold every slot.
CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries (site_id, endpoint_id, next_attempt_at)
    WHERE status = 'pending';
