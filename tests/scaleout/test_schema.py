"""Citus-ready: every tenant table is distributable by site_id, sql/citus/distribute.sql names
every table, and every query in moderation/store/ stays on one tenant's shard."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import asyncpg

from moderation.migrate import migrate

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTE = ROOT / "sql" / "citus" / "distribute.sql"
STORE = ROOT / "moderation" / "store"
LOCAL_TABLES = {"schema_migrations"}  # the coordinator's own, where migrations run
# A query that reads or writes many tenants on purpose says so in the SQL itself.
CROSS_TENANT_MARKER = "-- cross-tenant:"

REFERENCE_CALL = re.compile(r"create_reference_table\('(\w+)'\)")
DISTRIBUTED_CALL = re.compile(
    r"create_distributed_table\('(\w+)', 'site_id'(?:, colocate_with => '(\w+)')?\)"
)


def distribution() -> tuple[set[str], dict[str, str | None]]:
    """(reference tables, distributed table → the table it is co-located with)."""
    text = "\n".join(
        line for line in DISTRIBUTE.read_text().splitlines() if not line.startswith("--")
    )
    reference = set(REFERENCE_CALL.findall(text))
    distributed = {name: colocate or None for name, colocate in DISTRIBUTED_CALL.findall(text)}
    return reference, distributed


CONSTRAINTS = """
SELECT c.conrelid::regclass::text AS tbl, c.conname, c.contype::text AS contype,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) k
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k) AS cols,
       c.confrelid::regclass::text AS ref_tbl,
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) k
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k) AS ref_cols
  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
 WHERE t.relnamespace = 'public'::regnamespace AND c.contype IN ('p', 'u', 'f', 'x')
 ORDER BY 1, 2"""

UNIQUE_INDEXES = """
SELECT i.indrelid::regclass::text AS tbl, i.indexrelid::regclass::text AS name,
       ARRAY(SELECT a.attname::text FROM unnest(i.indkey) k
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k) AS cols
  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
 WHERE t.relnamespace = 'public'::regnamespace AND i.indisunique
 ORDER BY 1, 2"""


async def violations(conn: asyncpg.Connection) -> list[str]:
    """Every table, constraint or index of the schema that breaks distribution by site_id."""
    reference, distributed = distribution()
    tables = {
        r["relname"]
        for r in await conn.fetch(
            """SELECT relname FROM pg_class
                WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"""
        )
    }
    found = [
        f"table {t}: not in sql/citus/distribute.sql"
        for t in sorted(tables - reference - set(distributed) - LOCAL_TABLES)
    ]
    found += [
        f"table {t}: co-located with {c}, not comments"
        for t, c in distributed.items()
        if t != "comments" and c != "comments"
    ]
    with_site = {
        r["relname"]
        for r in await conn.fetch(
            """SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                WHERE c.relnamespace = 'public'::regnamespace AND a.attname = 'site_id'
                  AND NOT a.attisdropped"""
        )
    }
    found += [f"table {t}: no site_id column" for t in sorted(set(distributed) - with_site)]
    for c in await conn.fetch(CONSTRAINTS):
        table, name, kind, cols = c["tbl"], c["conname"], c["contype"], c["cols"]
        if kind == "f":
            found += _reference_violations(table, name, cols, c, reference, distributed)
        elif table in distributed and "site_id" not in cols:
            found.append(f"{table}.{name}: key {cols} lacks site_id")
    found += [
        f"{i['tbl']}.{i['name']}: unique index {i['cols']} lacks site_id"
        for i in await conn.fetch(UNIQUE_INDEXES)
        if i["tbl"] in distributed and "site_id" not in i["cols"]
    ]
    if not any(c["contype"] == "p" for c in await conn.fetch(CONSTRAINTS)):
        found.append("no primary keys at all: the catalog query reads nothing")
    return found


def _reference_violations(
    table: str,
    name: str,
    cols: list[str],
    constraint: asyncpg.Record,
    reference: set[str],
    distributed: dict[str, str | None],
) -> list[str]:
    target, target_cols = constraint["ref_tbl"], constraint["ref_cols"]
    pairs = dict(zip(cols, target_cols, strict=True))
    if target == "sites" and pairs == {"site_id": "id"}:
        return []  # the tenant itself, a reference table on every node
    if table in reference and target in distributed:
        return [f"{table}.{name}: a reference table cannot point into a distributed one"]
    if pairs.get("site_id") != "site_id":
        return [f"{table}.{name}: foreign key {cols} → {target} {target_cols} lacks site_id"]
    return []


async def test_every_tenant_table_is_distributable_by_site(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        assert await violations(conn) == []
    finally:
        await conn.close()


async def test_the_check_names_a_table_that_breaks_the_rule(scratch_database: str) -> None:
    conn = await asyncpg.connect(scratch_database)
    try:
        await migrate(conn)
        await conn.execute(
            """CREATE TABLE comment_votes (
                   site_id     bigint NOT NULL REFERENCES sites (id),
                   id          bigint PRIMARY KEY,
                   comment_id  bigint NOT NULL,
                   voter       text NOT NULL UNIQUE,
                   FOREIGN KEY (site_id, comment_id) REFERENCES comments (site_id, id));
               CREATE UNIQUE INDEX comment_votes_by_voter ON comment_votes (lower(voter));
               CREATE TABLE tokens_notes (token_id bigint REFERENCES tokens (id))"""
        )
        found = await violations(conn)
    finally:
        await conn.close()
    assert "table comment_votes: not in sql/citus/distribute.sql" in found
    assert "table tokens_notes: not in sql/citus/distribute.sql" in found


async def test_the_check_names_keys_indexes_and_references_without_site_id(
    scratch_database: str,
) -> None:
    conn = await asyncpg.connect(scratch_database)
    try:
        await migrate(conn)
        await conn.execute(
            """ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_url_key UNIQUE (url);
               CREATE UNIQUE INDEX comments_request ON comments (request_id);
               ALTER TABLE comment_claims ADD COLUMN token_id bigint REFERENCES tokens (id);
               ALTER TABLE tokens ADD COLUMN last_comment bigint;
               ALTER TABLE tokens ADD FOREIGN KEY (site_id, last_comment)
                   REFERENCES comments (site_id, id)"""
        )
        found = await violations(conn)
    finally:
        await conn.close()
    assert found == [
        "comment_claims.comment_claims_token_id_fkey: foreign key ['token_id'] → tokens ['id']"
        " lacks site_id",
        "tokens.tokens_site_id_last_comment_fkey: a reference table cannot point into a"
        " distributed one",
        "webhook_endpoints.webhook_endpoints_url_key: key ['url'] lacks site_id",
        "comments.comments_request: unique index ['request_id'] lacks site_id",
        "webhook_endpoints.webhook_endpoints_url_key: unique index ['url'] lacks site_id",
    ]


# ---- every query in moderation/store/ stays on one tenant's shard ----------------------------

SQL_START = re.compile(
    r"^\s*(--[^\n]*\n\s*)?\(?\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE
)
TABLES_USED = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_]+)", re.IGNORECASE)
# `site_id = $n` (or `= ANY ($n)`), or an INSERT whose first column is site_id: one tenant.
SITE_FILTER = re.compile(
    r"\bsite_id\s*=\s*(\$\d|any\s*\(\s*\$\d)|\bINSERT\s+INTO\s+\w+\s*\(\s*site_id\b",
    re.IGNORECASE,
)


def store_queries() -> list[tuple[str, int, str]]:
    """(file, line, SQL text) of every SQL string in moderation/store/ (f-strings: their text)."""
    found = []
    for path in sorted(STORE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(
                    v.value if isinstance(v, ast.Constant) else "{}" for v in node.values
                )
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if SQL_START.match(text) and TABLES_USED.search(text):
                found.append((path.name, node.lineno, text))
    return found


def sql_functions() -> set[str]:
    """Functions the migrations define (sql/0016's admission): called FROM a store query like a
    table, they take the site as their first argument, and the queries in their bodies filter
    by it, as a store query must."""
    found = set()
    for path in (ROOT / "sql").glob("*.sql"):
        found |= set(re.findall(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)", path.read_text()))
    return {name.lower() for name in found}


def single_tenant_violations(queries: list[tuple[str, int, str]]) -> list[str]:
    reference, _ = distribution()
    not_tables = {"unnest", "queued", "counted"} | sql_functions()
    found = []
    for file, line, sql in queries:
        tables = {t.lower() for t in TABLES_USED.findall(sql)} - not_tables
        if tables <= reference | LOCAL_TABLES or CROSS_TENANT_MARKER in sql:
            continue
        if not SITE_FILTER.search(sql):
            found.append(f"{file}:{line}: {' '.join(sql.split())[:90]}")
    return found


def test_every_store_query_filters_by_site_or_says_it_is_cross_tenant() -> None:
    queries = store_queries()
    assert len(queries) > 40  # the scan really reads the store's SQL
    assert single_tenant_violations(queries) == []


def test_a_query_across_tenants_without_the_marker_is_named() -> None:
    queries = [
        ("x.py", 1, "SELECT count(*) FROM comments WHERE status = 'pending'"),
        ("x.py", 2, "DELETE FROM rate_limits WHERE tat < now()"),
        ("x.py", 3, "SELECT id FROM comments WHERE site_id = $1 AND id = $2"),
        ("x.py", 4, "SELECT id FROM tokens WHERE token_hash = $1"),
        ("x.py", 5, "DELETE FROM rate_limits -- cross-tenant: the sweeper\n WHERE tat < now()"),
    ]
    assert single_tenant_violations(queries) == [
        "x.py:1: SELECT count(*) FROM comments WHERE status = 'pending'",
        "x.py:2: DELETE FROM rate_limits WHERE tat < now()",
    ]
