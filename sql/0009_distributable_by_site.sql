-- Citus-ready: every tenant table can be distributed by site_id. Its primary key, each unique
-- constraint and each foreign key include site_id, so every row a key or a reference can reach
-- lives on the same shard (sql/citus/distribute.sql; the rule is checked by
-- tests/scaleout/test_schema.py). `sites` and the credentials looked up before the site is
-- known (`tokens`, `console_sessions`) are reference tables, copied to every node.

-- A Standard Webhooks id is random (gen_random_uuid); unique per site is all a shard can check.
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_msg_id_key;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_site_msg_id_key
    UNIQUE (site_id, msg_id);

-- References to a token carry its site too: an audit row or a session can only name a token
-- of its own site.
ALTER TABLE tokens ADD CONSTRAINT tokens_site_id_id_key UNIQUE (site_id, id);

ALTER TABLE moderation_audit DROP CONSTRAINT moderation_audit_token_id_fkey;
ALTER TABLE moderation_audit ADD CONSTRAINT moderation_audit_site_token_fkey
    FOREIGN KEY (site_id, token_id) REFERENCES tokens (site_id, id);

ALTER TABLE console_sessions DROP CONSTRAINT console_sessions_token_id_fkey;
ALTER TABLE console_sessions ADD CONSTRAINT console_sessions_site_token_fkey
    FOREIGN KEY (site_id, token_id) REFERENCES tokens (site_id, id);

-- Claims, like every other tenant table, name their site.
ALTER TABLE comment_claims ADD CONSTRAINT comment_claims_site_id_fkey
    FOREIGN KEY (site_id) REFERENCES sites (id);
