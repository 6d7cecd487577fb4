-- Readers report published comments (issue 12, DSA Art. 16 notices). A comment's open reports
-- form one case; the case enters the moderators' queue when enough distinct reporters (or one
-- notice of illegal content) ask, and is resolved once: keep or remove.

ALTER TABLE site_settings
    ADD COLUMN report_threshold integer NOT NULL DEFAULT 3
               CHECK (report_threshold BETWEEN 1 AND 1000),
    ADD COLUMN report_action    text NOT NULL DEFAULT 'queue'
               CHECK (report_action IN ('queue', 'hide'));

-- Approved, but out of the public thread until a moderator decides on its reports.
ALTER TABLE comments ADD COLUMN hidden boolean NOT NULL DEFAULT false;

CREATE TABLE report_cases (
    site_id          bigint NOT NULL REFERENCES sites (id),
    id               bigint GENERATED ALWAYS AS IDENTITY,
    comment_id       bigint NOT NULL,
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    -- Distinct reporters: one per email, but one network counts once however many emails.
    reporters        integer NOT NULL DEFAULT 0,
    categories       text[] NOT NULL DEFAULT '{}',
    -- When it entered the moderators' queue (threshold reached, or illegal content).
    queued_at        timestamptz,
    hidden           boolean NOT NULL DEFAULT false,
    first_report_at  timestamptz NOT NULL DEFAULT now(),
    last_report_at   timestamptz NOT NULL DEFAULT now(),
    action           text CHECK (action IN ('keep', 'remove')),
    reason           text,
    explanation      text CHECK (char_length(explanation) <= 2000),
    resolved_by      bigint,
    resolved_at      timestamptz,
    PRIMARY KEY (site_id, id),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments (site_id, id),
    FOREIGN KEY (site_id, resolved_by) REFERENCES tokens (site_id, id),
    CHECK ((status = 'resolved') = (action IS NOT NULL AND resolved_at IS NOT NULL))
);
CREATE UNIQUE INDEX report_cases_open_comment ON report_cases (site_id, comment_id)
    WHERE status = 'open';
CREATE INDEX report_cases_open_queue ON report_cases (site_id, first_report_at, id)
    WHERE status = 'open' AND queued_at IS NOT NULL;
CREATE INDEX report_cases_resolved ON report_cases (site_id, resolved_at DESC, id DESC)
    WHERE status = 'resolved';

CREATE TABLE reports (
    site_id         bigint NOT NULL REFERENCES sites (id),
    id              bigint GENERATED ALWAYS AS IDENTITY,
    -- The reporter's public reference (random; says nothing about volume or other reports).
    reference       text NOT NULL CHECK (char_length(reference) BETWEEN 8 AND 64),
    case_id         bigint NOT NULL,
    comment_id      bigint NOT NULL,
    category        text NOT NULL CHECK (category IN ('illegal_content', 'hate_speech',
                        'harassment', 'violence_or_threat', 'privacy', 'misinformation',
                        'spam', 'other')),
    explanation     text CHECK (char_length(explanation) <= 2000),
    legal_ground    text CHECK (char_length(legal_ground) <= 500),
    good_faith      boolean NOT NULL DEFAULT false,
    reporter_name   text CHECK (char_length(reporter_name) <= 100),
    reporter_email  text CHECK (char_length(reporter_email) <= 254),
    -- Who reported: the email's keyed hash, else the network's (identity.email_fingerprint).
    reporter_hash   bytea NOT NULL CHECK (octet_length(reporter_hash) = 32),
    network_hash    bytea CHECK (octet_length(network_hash) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, id),
    UNIQUE (site_id, reference),
    UNIQUE (site_id, comment_id, reporter_hash),
    FOREIGN KEY (site_id, case_id) REFERENCES report_cases (site_id, id),
    FOREIGN KEY (site_id, comment_id) REFERENCES comments (site_id, id)
);
CREATE INDEX reports_case ON reports (site_id, case_id, id);
CREATE INDEX reports_created ON reports (site_id, created_at);

-- The transparency report counts decisions taken on the site's own initiative by period.
CREATE INDEX moderation_audit_rejections ON moderation_audit (site_id, at)
    WHERE action = 'reject';

-- The statements export and the counts of statements and appeals, by period (0010's tables).
CREATE INDEX statements_created ON statements (site_id, created_at, id);
CREATE INDEX appeals_created ON appeals (site_id, created_at);
