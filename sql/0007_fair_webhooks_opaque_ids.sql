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

-- Opaque public ids. One sequence per table would let a site count every other site's
-- comments (its own ids jump by their volume). New ids are a keyed permutation of the
-- sequence value instead: a 4-round Feistel network over 52 bits whose round function is an
-- MD5 keyed with a random key made here, once per installation. The result is offset by 2^52,
-- so it never meets an id made before this migration (all below 2^52), and stays below 2^53,
-- exact in JavaScript. Order by (created_at, id) where time order matters, never by id alone.
DO $migration$
DECLARE
    key text := replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
BEGIN
    EXECUTE format($function$
        CREATE FUNCTION opaque_id(n bigint) RETURNS bigint
            LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $body$
        DECLARE
            half CONSTANT bigint := 67108863;  -- 2^26 - 1
            l bigint := (n >> 26) & half;
            r bigint := n & half;
            t bigint;
        BEGIN
            IF n < 0 OR n >= 4503599627370496 THEN
                RAISE EXCEPTION 'opaque_id: %% is outside [0, 2^52)', n;
            END IF;
            FOR round IN 1..4 LOOP
                t := r;
                r := l # (('x' || substr(md5(%L || ':' || round || ':' || r), 1, 7))::bit(28)::bigint & half);
                l := t;
            END LOOP;
            RETURN 4503599627370496 + ((l << 26) | r);
        END
        $body$$function$, key);
END
$migration$;

ALTER TABLE comments ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE comments_opaque_id_seq AS bigint OWNED BY comments.id;
ALTER TABLE comments ALTER COLUMN id SET DEFAULT opaque_id(nextval('comments_opaque_id_seq'));

ALTER TABLE webhook_endpoints ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE webhook_endpoints_opaque_id_seq AS bigint OWNED BY webhook_endpoints.id;
ALTER TABLE webhook_endpoints
    ALTER COLUMN id SET DEFAULT opaque_id(nextval('webhook_endpoints_opaque_id_seq'));

ALTER TABLE webhook_deliveries ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE webhook_deliveries_opaque_id_seq AS bigint OWNED BY webhook_deliveries.id;
ALTER TABLE webhook_deliveries
    ALTER COLUMN id SET DEFAULT opaque_id(nextval('webhook_deliveries_opaque_id_seq'));

-- An endpoint's deliveries, newest first: keyset on (created_at, id), no longer on id.
DROP INDEX webhook_deliveries_endpoint;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (site_id, endpoint_id, created_at DESC, id DESC);
