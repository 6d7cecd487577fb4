-- Retention (issue 13): how long each site keeps personal data, applied by the sweeper
-- (moderation/retention.py) in small batches. NULL keeps forever.
ALTER TABLE site_settings
    ADD COLUMN retain_ip_days         integer DEFAULT 30 CHECK (retain_ip_days BETWEEN 1 AND 3650),
    ADD COLUMN retain_email_days      integer CHECK (retain_email_days BETWEEN 1 AND 3650),
    ADD COLUMN purge_rejected_days    integer DEFAULT 90
               CHECK (purge_rejected_days BETWEEN 1 AND 3650),
    ADD COLUMN purge_spam_days        integer DEFAULT 7 CHECK (purge_spam_days BETWEEN 1 AND 3650),
    ADD COLUMN purge_unverified_days  integer DEFAULT 7
               CHECK (purge_unverified_days BETWEEN 1 AND 3650),
    ADD COLUMN retain_deliveries_days integer DEFAULT 30
               CHECK (retain_deliveries_days BETWEEN 1 AND 3650);

-- Two more ways a comment loses its author's data: 'expired' (the address was forgotten after
-- retain_email_days; name and text stay) and 'purged' (a rejected, spam or unverified comment
-- whose row must stay as a placeholder: a reply, a statement or the audit refers to it).
-- NOT VALID: every existing value is in the new set, so the full scan would prove nothing.
ALTER TABLE comments DROP CONSTRAINT comments_erased_check;
ALTER TABLE comments ADD CONSTRAINT comments_erased_check
    CHECK (erased IN ('anonymized', 'deleted', 'expired', 'purged')) NOT VALID;

-- Each batch of the sweeper finds its rows by index. The partial indexes hold only the rows
-- still due for something, so they stay small on a big table.
CREATE INDEX comments_ip_kept ON comments (site_id, created_at) WHERE client_ip IS NOT NULL;
-- Content still there: never erased, or only the author's data (moderation/store/retention.py
-- has the same condition).
CREATE INDEX comments_rejected_kept ON comments (site_id, decided_at)
    WHERE status = 'rejected' AND (erased IS NULL OR erased IN ('anonymized', 'expired'));
CREATE INDEX comments_spam_kept ON comments (site_id, created_at)
    WHERE status = 'spam' AND (erased IS NULL OR erased IN ('anonymized', 'expired'));
CREATE INDEX comments_unverified_kept ON comments (site_id, created_at)
    WHERE status = 'unverified' AND (erased IS NULL OR erased IN ('anonymized', 'expired'));
-- Deleting a comment checks that nothing refers to it: its replies, appeals and report cases
-- are found by index, not by a scan per deleted row.
CREATE INDEX comments_replies ON comments (site_id, parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX appeals_comment ON appeals (site_id, comment_id);
CREATE INDEX report_cases_comment ON report_cases (site_id, comment_id);
CREATE INDEX reports_network_kept ON reports (site_id, created_at) WHERE network_hash IS NOT NULL;
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (site_id, completed_at)
    WHERE status <> 'pending';
CREATE INDEX mail_outbox_finished ON mail_outbox (site_id, completed_at)
    WHERE status <> 'pending';
