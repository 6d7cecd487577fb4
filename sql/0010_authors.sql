-- Authors hear back (issue 11): verified addresses and the author tokens that prove them,
-- statements of reasons (immutable), and appeals against them.

-- A comment from an address not yet confirmed waits outside the queue and the thread when the
-- site requires verified addresses.
ALTER TABLE comments DROP CONSTRAINT comments_status_check;
ALTER TABLE comments ADD CONSTRAINT comments_status_check
    CHECK (status IN ('unverified', 'pending', 'approved', 'rejected', 'spam'));
ALTER TABLE comments
    -- Posted with a valid author token for its address (not merely a typed address).
    ADD COLUMN proven    boolean NOT NULL DEFAULT false,
    -- The author asked to hear when it is approved or answered.
    ADD COLUMN notify    boolean NOT NULL DEFAULT false,
    -- The article page it was posted on (one of the site's origins), for links in mails.
    ADD COLUMN page_url  text CHECK (char_length(page_url) <= 2000);

-- The moderator's explanation for the author (public, unlike `note`).
ALTER TABLE moderation_audit
    ADD COLUMN explanation text CHECK (char_length(explanation) <= 2000);

ALTER TABLE site_settings
    ADD COLUMN require_verified_email boolean NOT NULL DEFAULT false,
    ADD COLUMN statement_of_reasons   text NOT NULL DEFAULT 'verified'
               CHECK (statement_of_reasons IN ('verified', 'all', 'off')),
    ADD COLUMN redress_text           text CHECK (char_length(redress_text) <= 2000);

-- An address known to a site, by its keyed hash (identity.email_fingerprint).
CREATE TABLE authors (
    site_id          bigint NOT NULL REFERENCES sites (id),
    email_hash       bytea NOT NULL CHECK (octet_length(email_hash) = 32),
    verified_at      timestamptz,
    unsubscribed_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, email_hash)
);

-- Confirmation links: 256 random bits mailed, only their SHA-256 kept; single use, 7 days.
CREATE TABLE author_confirmations (
    site_id     bigint NOT NULL REFERENCES sites (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    email_hash  bytea NOT NULL,
    token_hash  bytea NOT NULL CHECK (octet_length(token_hash) = 32),
    -- The article to go back to (checked against the site's origins when it was posted).
    return_to   text CHECK (char_length(return_to) <= 2000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    PRIMARY KEY (site_id, id),
    UNIQUE (site_id, token_hash),
    FOREIGN KEY (site_id, email_hash) REFERENCES authors (site_id, email_hash)
);
CREATE INDEX author_confirmations_recent ON author_confirmations (site_id, email_hash, created_at);

-- Author tokens a confirmed browser keeps: hashed at rest, expiring, revocable per address.
CREATE TABLE author_tokens (
    site_id     bigint NOT NULL REFERENCES sites (id),
    id          bigint GENERATED ALWAYS AS IDENTITY,
    email_hash  bytea NOT NULL,
    token_hash  bytea NOT NULL CHECK (octet_length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    PRIMARY KEY (site_id, id),
    UNIQUE (site_id, token_hash),
    FOREIGN KEY (site_id, email_hash) REFERENCES authors (site_id, email_hash)
);

-- Statements of reasons (DSA Art. 17) as issued: never changed, never deleted.
CREATE TABLE statements (
    site_id              bigint NOT NULL REFERENCES sites (id),
    id                   bigint GENERATED ALWAYS AS IDENTITY,
    puid                 text NOT NULL CHECK (char_length(puid) BETWEEN 1 AND 500),
    comment_id           bigint NOT NULL,
    decision             text NOT NULL CHECK (decision IN ('rejected', 'taken_down')),
    reason               text,
    explanation          text CHECK (char_length(explanation) <= 2000),
    legal_ground         text CHECK (char_length(legal_ground) <= 500),
    -- The token that decided (NULL: the system, e.g. a banned term).
    decided_by           bigint,
    automated_detection  boolean NOT NULL,
    automated_decision   text NOT NULL,
    -- The statement in the DSA Transparency Database's terms (transparency.statement_for).
    facts                jsonb NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, id),
    UNIQUE (site_id, puid),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments (site_id, id),
    FOREIGN KEY (site_id, decided_by) REFERENCES tokens (site_id, id)
);
CREATE INDEX statements_comment ON statements (site_id, comment_id);

CREATE FUNCTION statements_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'statements are immutable' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER statements_immutable
    BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION statements_are_immutable();

-- One appeal per statement (per decision), decided by another token than the decision's.
CREATE TABLE appeals (
    site_id       bigint NOT NULL REFERENCES sites (id),
    id            bigint GENERATED ALWAYS AS IDENTITY,
    statement_id  bigint NOT NULL,
    comment_id    bigint NOT NULL,
    body          text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
    outcome       text CHECK (outcome IN ('upheld', 'reversed')),
    explanation   text CHECK (char_length(explanation) <= 2000),
    decided_by    bigint,
    decided_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, id),
    UNIQUE (site_id, statement_id),
    FOREIGN KEY (site_id, statement_id) REFERENCES statements (site_id, id),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments (site_id, id),
    FOREIGN KEY (site_id, decided_by) REFERENCES tokens (site_id, id),
    CHECK ((status = 'decided') = (outcome IS NOT NULL))
);
CREATE INDEX appeals_queue ON appeals (site_id, status, created_at, id);
