-- The moderator console: cookie sessions that stand for a token, and claims on queue items.
CREATE TABLE console_sessions (
    site_id       bigint NOT NULL REFERENCES sites (id),
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Revoking the token ends its sessions: every lookup joins on tokens.revoked_at.
    token_id      bigint NOT NULL REFERENCES tokens (id),
    -- Only the SHA-256 of the cookie value is kept, like tokens.
    session_hash  bytea NOT NULL UNIQUE CHECK (octet_length(session_hash) = 32),
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz
);
CREATE INDEX console_sessions_token ON console_sessions (token_id);

-- A moderator's lease on a pending comment, so two moderators never review the same one.
-- `claimant` is "session:<id>" for the console, "token:<id>" for API clients.
CREATE TABLE comment_claims (
    site_id     bigint NOT NULL,
    comment_id  bigint NOT NULL,
    claimant    text NOT NULL,
    until       timestamptz NOT NULL,
    PRIMARY KEY (site_id, comment_id),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments (site_id, id)
);
CREATE INDEX comment_claims_claimant ON comment_claims (site_id, claimant);
