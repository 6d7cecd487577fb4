-- Outgoing mail: a transactional outbox of composed messages, the attempts to send them, and
-- the addresses a mail server refused for good (per site, by the keyed hash of the address).
CREATE TABLE mail_outbox (
    site_id          bigint NOT NULL REFERENCES sites (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    kind             text NOT NULL,
    -- The one place the address is kept, as it must be to send it (To: is added at sending).
    recipient        text NOT NULL,
    -- identity.email_fingerprint of the address: what suppressions and counts go by.
    recipient_hash   bytea NOT NULL,
    message_id       text NOT NULL,
    subject          text NOT NULL,
    -- The message as composed when the event happened (RFC 5322 bytes, without To:).
    message          bytea NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'kept', 'failed', 'undeliverable',
                                       'suppressed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz,
    locked_until     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    PRIMARY KEY (site_id, id),
    UNIQUE (site_id, message_id)
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_recipient ON mail_outbox (site_id, recipient_hash) WHERE status = 'pending';

CREATE TABLE mail_attempts (
    site_id      bigint NOT NULL REFERENCES sites (id),
    mail_id      bigint NOT NULL,
    attempt      integer NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    -- The SMTP reply code, when the server gave one, and what went wrong (no addresses).
    smtp_code    integer,
    error        text,
    duration_ms  double precision NOT NULL,
    PRIMARY KEY (site_id, mail_id, attempt),
    FOREIGN KEY (site_id, mail_id) REFERENCES mail_outbox (site_id, id)
);

-- An address refused with a permanent (5xx) reply gets no more mail from that site.
CREATE TABLE mail_suppressions (
    site_id         bigint NOT NULL REFERENCES sites (id),
    recipient_hash  bytea NOT NULL,
    smtp_code       integer,
    reason          text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, recipient_hash)
);

ALTER TABLE site_settings
    ADD COLUMN mail_sender_name  text CHECK (char_length(mail_sender_name) <= 100),
    ADD COLUMN mail_reply_to     text CHECK (char_length(mail_reply_to) <= 254),
    ADD COLUMN language          text NOT NULL DEFAULT 'en' CHECK (language IN ('ar', 'en')),
    ADD COLUMN public_url        text CHECK (char_length(public_url) <= 2000),
    ADD COLUMN terms_url         text CHECK (char_length(terms_url) <= 2000);
