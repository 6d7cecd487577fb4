-- Auto-moderation: per-site settings, flags on comments, duplicate keys, and rate limits.
CREATE TABLE site_settings (
    site_id        bigint PRIMARY KEY REFERENCES sites (id),
    policy         text NOT NULL DEFAULT 'pre-moderate'
                   CHECK (policy IN ('pre-moderate', 'trust-approved-authors')),
    max_links      integer NOT NULL DEFAULT 2 CHECK (max_links BETWEEN 0 AND 100),
    banned_terms   text[] NOT NULL DEFAULT '{}',
    suspect_terms  text[] NOT NULL DEFAULT '{}',
    flood_seconds  integer NOT NULL DEFAULT 15 CHECK (flood_seconds BETWEEN 0 AND 86400),
    hourly_limit   integer NOT NULL DEFAULT 30 CHECK (hourly_limit BETWEEN 0 AND 100000),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE comments
    ADD COLUMN flags jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN flagged boolean GENERATED ALWAYS AS (flags <> '[]'::jsonb) STORED,
    -- Digest of the body's folded match key: the same comment typed again with other
    -- diacritics, tatweel, spacing or case has the same key.
    ADD COLUMN duplicate_key bytea;

CREATE INDEX comments_duplicates ON comments (site_id, email_hash, duplicate_key, created_at);
CREATE INDEX comments_pending_flagged ON comments (site_id, flagged DESC, created_at, id)
    WHERE status = 'pending';

-- GCRA rate limits: one "theoretical arrival time" per key. UNLOGGED: losing them in a
-- crash only forgives a few seconds of limits, and they are written on every post.
CREATE UNLOGGED TABLE rate_limits (
    site_id  bigint NOT NULL REFERENCES sites (id),
    bucket   text NOT NULL,
    tat      timestamptz NOT NULL,
    PRIMARY KEY (site_id, bucket)
);
CREATE INDEX rate_limits_expired ON rate_limits (tat);
