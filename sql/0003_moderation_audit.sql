-- Append-only record of every moderation decision, by a person (token) or by the system.
CREATE TABLE moderation_audit (
    site_id       bigint NOT NULL REFERENCES sites (id),
    id            bigint GENERATED ALWAYS AS IDENTITY,
    comment_id    bigint NOT NULL,
    actor         text NOT NULL CHECK (actor IN ('token', 'system')),
    token_id      bigint REFERENCES tokens (id),
    action        text NOT NULL,
    from_status   text,
    to_status     text NOT NULL,
    reason        text,
    note          text CHECK (char_length(note) <= 500),
    request_id    text,
    at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments (site_id, id),
    CHECK ((actor = 'token') = (token_id IS NOT NULL))
);
CREATE INDEX moderation_audit_comment ON moderation_audit (site_id, comment_id, id);

CREATE FUNCTION moderation_audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'moderation_audit is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER moderation_audit_append_only
    BEFORE UPDATE OR DELETE ON moderation_audit
    FOR EACH ROW EXECUTE FUNCTION moderation_audit_is_append_only();
