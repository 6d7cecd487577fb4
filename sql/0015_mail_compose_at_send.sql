-- Mails composed at sending, not in the request (issue 15): a queued mail keeps its id, its
-- subject and a draft (kind aside, everything mail/compose.py reads: language, context, sender,
-- links; JSON). The sender composes it, stores the bytes in `message` and clears the draft in
-- one statement, so every attempt sends the same bytes and no second copy of the draft's
-- personal data (a name, a quoted comment, signed links) stays behind. A mail whose address is
-- suppressed is never composed: its draft goes with the row (erasure, retention).
--
-- The check is added NOT VALID: every existing row has a message and no draft, so it holds;
-- new and updated rows are checked without a scan of the table under an exclusive lock.
ALTER TABLE mail_outbox
    ALTER COLUMN message DROP NOT NULL,
    ADD COLUMN draft jsonb,
    ADD CONSTRAINT mail_outbox_composed_or_draft
        CHECK ((message IS NULL) <> (draft IS NULL)) NOT VALID;
