-- Data subjects (issue 13): an author's comments can be erased, anonymized (kept, without name,
-- address, website, IP or the link to the author's history) or deleted (the content too; the row
-- stays as a placeholder, so replies keep their place and statements their reference).
ALTER TABLE comments
    ALTER COLUMN email DROP NOT NULL,
    ALTER COLUMN email_hash DROP NOT NULL,
    ADD COLUMN erased text CHECK (erased IN ('anonymized', 'deleted')),
    ADD CONSTRAINT comments_identified_unless_erased
        CHECK (erased IS NOT NULL OR (email IS NOT NULL AND email_hash IS NOT NULL));

-- The audit stays append-only, with one exception: an erase clears the personal data of a
-- row (the moderator's note and explanation) and keeps the decision itself unchanged.
CREATE OR REPLACE FUNCTION moderation_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.note IS NULL AND NEW.explanation IS NULL
       AND (NEW.site_id, NEW.id, NEW.comment_id, NEW.actor, NEW.token_id, NEW.action,
            NEW.from_status, NEW.to_status, NEW.reason, NEW.request_id, NEW.at)
           IS NOT DISTINCT FROM
           (OLD.site_id, OLD.id, OLD.comment_id, OLD.actor, OLD.token_id, OLD.action,
            OLD.from_status, OLD.to_status, OLD.reason, OLD.request_id, OLD.at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'moderation_audit is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- An erase finds an address's rows by index, not by scanning the site's history: its mails
-- (all of them, not only the pending ones), the reports it filed, and the webhook payloads of
-- its comments (by the comment id inside the payload).
CREATE INDEX mail_outbox_recipient_all ON mail_outbox (site_id, recipient_hash);
CREATE INDEX reports_reporter ON reports (site_id, reporter_hash);
CREATE INDEX webhook_deliveries_comment
    ON webhook_deliveries (site_id, (body::jsonb #>> '{data,id}'))
    WHERE event_type IN ('comment.created', 'comment.approved', 'comment.rejected');
