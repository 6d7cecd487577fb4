-- A comment's admission in one round trip (issue 15). The author's lock, the author's limits,
-- the proof of the address and the admission checks were four statements, each a round trip
-- with ~55 µs of the service's CPU. They are one call of a function, not one statement: a
-- statement's snapshot predates the lock it waits for, whereas each statement of a VOLATILE
-- function under READ COMMITTED takes a new snapshot, so the duplicate check still sees what
-- the lock's previous holder committed (two identical posts racing: one gets in).

-- GCRA: take one request from each bucket. NULL if every bucket allowed; else the seconds until
-- a retry (0 when unknown: the statement's snapshot may predate a racing request's new row).
-- A bucket that allowed is spent even when another refused: a refused attempt still counts.
-- Each row is decided by the upsert's WHERE against the locked current row, so concurrent
-- requests on one key (from any number of instances) cannot both slip through.
CREATE FUNCTION moderation_take_limits(
    p_site_id bigint, p_buckets text[], p_intervals float8[], p_tolerances float8[]
) RETURNS float8 LANGUAGE sql VOLATILE AS $$
    WITH wanted AS (
        SELECT * FROM unnest(p_buckets, p_intervals, p_tolerances)
                 AS w(bucket, interval_s, tolerance_s)),
    taken AS (
        INSERT INTO rate_limits AS r (site_id, bucket, tat)
        SELECT p_site_id, bucket, now() + make_interval(secs => interval_s) FROM wanted
        ON CONFLICT (site_id, bucket) DO UPDATE
           SET tat = GREATEST(r.tat, now()) + (excluded.tat - now())
         WHERE r.tat - now() <= (SELECT make_interval(secs => w.tolerance_s)
                                   FROM wanted w WHERE w.bucket = excluded.bucket)
        RETURNING bucket)
    SELECT max(greatest(coalesce(extract(epoch FROM r.tat - now()) - w.tolerance_s, 0), 0))
      FROM wanted w
      LEFT JOIN rate_limits r ON r.site_id = p_site_id AND r.bucket = w.bucket
     WHERE w.bucket NOT IN (SELECT bucket FROM taken)
$$;

-- The admission of one comment, in its transaction: the author's lock (held to the end of the
-- transaction, taken before the limit rows, as an erase of the address takes it); the author's
-- limits (when one refuses, `wait` is set and nothing else is asked: the rest stay false);
-- whether the post proves its address (`p_token_hash`: the hash of an author token whose
-- signature the service has checked, or NULL); whether the parent is an approved comment of
-- this thread; whether the author posted the same (folded) body to this thread in the last 24
-- hours; and whether the author has an approved comment on the site (only when `p_may_trust`
-- and proven).
CREATE FUNCTION moderation_admit(
    p_site_id bigint,
    p_lock_key bigint,
    p_buckets text[],
    p_intervals float8[],
    p_tolerances float8[],
    p_email_hash bytea,
    p_token_hash bytea,
    p_thread text,
    p_duplicate_key bytea,
    p_parent_id bigint,
    p_may_trust boolean,
    OUT wait float8,
    OUT proven boolean,
    OUT parent_ok boolean,
    OUT duplicate boolean,
    OUT trusted boolean
) LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    proven := false;
    parent_ok := false;
    duplicate := false;
    trusted := false;
    PERFORM pg_advisory_xact_lock(p_lock_key);
    IF cardinality(p_buckets) > 0 THEN
        wait := moderation_take_limits(p_site_id, p_buckets, p_intervals, p_tolerances);
        IF wait IS NOT NULL THEN
            RETURN;
        END IF;
    END IF;
    proven := p_token_hash IS NOT NULL AND EXISTS (
        SELECT 1 FROM author_tokens
         WHERE site_id = p_site_id AND token_hash = p_token_hash AND email_hash = p_email_hash
           AND revoked_at IS NULL AND expires_at > now());
    parent_ok := p_parent_id IS NULL OR EXISTS (
        SELECT 1 FROM comments
         WHERE site_id = p_site_id AND id = p_parent_id AND thread = p_thread
           AND status = 'approved');
    duplicate := EXISTS (
        SELECT 1 FROM comments
         WHERE site_id = p_site_id AND email_hash = p_email_hash
           AND duplicate_key = p_duplicate_key AND thread = p_thread
           AND created_at > now() - interval '24 hours');
    trusted := p_may_trust AND proven AND EXISTS (
        SELECT 1 FROM comments
         WHERE site_id = p_site_id AND email_hash = p_email_hash AND status = 'approved');
END
$$;
