-- Distribute the schema on Citus, sharded by tenant (site_id). Run once, with psql on the
-- coordinator, after `moderation migrate` has created the schema there:
--     psql "$DIRECT_COORDINATOR_URL" -v ON_ERROR_STOP=1 -f sql/citus/distribute.sql
-- Every tenant table is co-located with `comments`, so each tenant query (they all filter by
-- site_id) runs on one shard, and keys, references and joins between them stay on that shard.
-- The list must name every table of the schema: tests/scaleout/test_schema.py checks it, and
-- checks the rule that makes it possible (site_id in every key and reference).
-- schema_migrations stays a local table of the coordinator, where migrations run.

BEGIN;
-- Reference tables with foreign keys between them are created one shard at a time.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
-- The append-only triggers (moderation_audit, statements) only raise; safe on every shard.
SET LOCAL citus.enable_unsafe_triggers TO on;

-- Copied to every node: the tenants, and the credentials looked up before the site is known.
SELECT create_reference_table('sites');
SELECT create_reference_table('tokens');
SELECT create_reference_table('console_sessions');

-- Sharded by site_id, all co-located with comments.
SELECT create_distributed_table('comments', 'site_id');
SELECT create_distributed_table('moderation_audit', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('comment_claims', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('site_settings', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('rate_limits', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('webhook_endpoints', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('webhook_deliveries', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('webhook_attempts', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('mail_outbox', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('mail_attempts', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('mail_suppressions', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('report_cases', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('reports', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('authors', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('author_confirmations', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('author_tokens', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('statements', 'site_id', colocate_with => 'comments');
SELECT create_distributed_table('appeals', 'site_id', colocate_with => 'comments');
COMMIT;
