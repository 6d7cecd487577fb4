-- Comments: every row belongs to a site, and every query filters by site_id.
CREATE TABLE comments (
    site_id           bigint NOT NULL REFERENCES sites (id),
    id                bigint GENERATED ALWAYS AS IDENTITY,
    thread            text NOT NULL CHECK (char_length(thread) BETWEEN 1 AND 512),
    parent_id         bigint,
    name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    email             text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    -- HMAC-SHA256 of the normalized address with a server secret: recognises a returning
    -- author without exposing (or letting anyone else recompute) the address.
    email_hash        bytea NOT NULL CHECK (octet_length(email_hash) = 32),
    website           text CHECK (char_length(website) <= 1000),
    body_text         text NOT NULL CHECK (char_length(body_text) BETWEEN 1 AND 10000),
    body_html         text NOT NULL,
    body_dir          text NOT NULL CHECK (body_dir IN ('ltr', 'rtl')),
    name_dir          text NOT NULL CHECK (name_dir IN ('ltr', 'rtl')),
    renderer_version  smallint NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'approved', 'rejected', 'spam')),
    reason            text,
    decided_at        timestamptz,
    decided_by        bigint,
    client_ip         inet,
    request_id        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, parent_id) REFERENCES comments (site_id, id)
);

-- Public thread listing: approved comments of one thread, oldest first (keyset).
CREATE INDEX comments_thread_approved ON comments (site_id, thread, created_at, id)
    WHERE status = 'approved';
-- Moderator queue: pending oldest first; decided ones newest decision first.
CREATE INDEX comments_pending ON comments (site_id, created_at, id) WHERE status = 'pending';
CREATE INDEX comments_pending_thread ON comments (site_id, thread, created_at, id)
    WHERE status = 'pending';
CREATE INDEX comments_decided ON comments (site_id, status, decided_at DESC, id DESC)
    WHERE status <> 'pending';
CREATE INDEX comments_decided_thread ON comments (site_id, thread, status, decided_at DESC, id DESC)
    WHERE status <> 'pending';
CREATE INDEX comments_author ON comments (site_id, email_hash, status);
