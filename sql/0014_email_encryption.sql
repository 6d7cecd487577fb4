-- Email addresses encrypted at rest (issue 13): each address column gets a sealed twin
-- (AES-256-GCM, nonce ‖ ciphertext ‖ tag, moderation/sealing.py) and the id of the key it was
-- sealed under. New rows are written sealed only. SQL cannot seal (the key lives in the
-- application), so the plain columns stay, nullable, for rows written before this migration:
-- `moderation keys rotate` seals them and clears the plain value. The keyed hashes stay as
-- they are, for lookups.
--
-- The new checks are added NOT VALID: the new columns are NULL in every existing row (so the
-- pair checks hold), and the replaced comments check is weaker than the one every existing row
-- already passed; new and updated rows are checked all the same, without a scan of the table
-- under an exclusive lock.

ALTER TABLE comments
    ADD COLUMN email_sealed bytea,
    ADD COLUMN email_key    smallint,
    ADD CONSTRAINT comments_email_sealed_with_key
        CHECK ((email_sealed IS NULL) = (email_key IS NULL) AND email_key > 0
               AND octet_length(email_sealed) BETWEEN 31 AND 1100) NOT VALID,
    DROP CONSTRAINT comments_identified_unless_erased,
    ADD CONSTRAINT comments_identified_unless_erased
        CHECK (erased IS NOT NULL
               OR ((email IS NOT NULL OR email_sealed IS NOT NULL) AND email_hash IS NOT NULL))
        NOT VALID;

ALTER TABLE mail_outbox
    ALTER COLUMN recipient DROP NOT NULL,
    ADD COLUMN recipient_sealed bytea,
    ADD COLUMN recipient_key    smallint,
    ADD CONSTRAINT mail_outbox_recipient_sealed_with_key
        CHECK ((recipient_sealed IS NULL) = (recipient_key IS NULL) AND recipient_key > 0
               AND octet_length(recipient_sealed) BETWEEN 31 AND 1100) NOT VALID,
    -- A mail still needs its one address, sealed or (before 0014) plain.
    ADD CONSTRAINT mail_outbox_has_recipient
        CHECK (recipient IS NOT NULL OR recipient_sealed IS NOT NULL) NOT VALID;

ALTER TABLE reports
    ADD COLUMN reporter_email_sealed bytea,
    ADD COLUMN reporter_email_key    smallint,
    ADD CONSTRAINT reports_reporter_email_sealed_with_key
        CHECK ((reporter_email_sealed IS NULL) = (reporter_email_key IS NULL)
               AND reporter_email_key > 0
               AND octet_length(reporter_email_sealed) BETWEEN 31 AND 1100) NOT VALID;
