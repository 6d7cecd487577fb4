-- Sites are tenants (one news site each); tokens let moderators and admins act on one site.
CREATE TABLE sites (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    origins     text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tokens (
    site_id       bigint NOT NULL REFERENCES sites (id),
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role          text NOT NULL CHECK (role IN ('moderator', 'admin')),
    -- Only the SHA-256 of a token is kept; the token itself is shown once.
    token_hash    bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    prefix        text NOT NULL,
    description   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX tokens_site ON tokens (site_id);
