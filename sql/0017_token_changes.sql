-- Every instance remembers token → actor (moderation/tokencache.py) so a moderator's request
-- needs no round trip of its own for its token. A change to either table (a token revoked, a
-- site deleted) is announced when it commits, and every instance then forgets every token it
-- held. Once per statement: changes are rare, and forgetting all is always right.
CREATE FUNCTION moderation_announce_token_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('moderation_tokens', TG_TABLE_NAME);
    RETURN NULL;
END $$;

CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE OR TRUNCATE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION moderation_announce_token_change();

CREATE TRIGGER sites_changed AFTER UPDATE OR DELETE OR TRUNCATE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION moderation_announce_token_change();
