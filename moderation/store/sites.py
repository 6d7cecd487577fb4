"""Sites (tenants) and the tokens that act on them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..domain import (
    Actor,
    Language,
    Policy,
    ReportAction,
    Role,
    Site,
    SiteSettings,
    StatementPolicy,
)
from . import Connection, rows_affected

SITE_COLUMNS = "id, slug, name, origins"
SITE_WITH_SETTINGS = """s.id, s.slug, s.name, s.origins, st.policy, st.max_links, st.banned_terms,
    st.suspect_terms, st.flood_seconds, st.hourly_limit, st.mail_sender_name, st.mail_reply_to,
    st.language, st.public_url, st.terms_url, st.require_verified_email,
    st.statement_of_reasons, st.redress_text,
    st.report_threshold, st.report_action"""


def _settings(row: Mapping[str, Any]) -> SiteSettings:
    return SiteSettings(
        policy=Policy(row["policy"]),
        max_links=row["max_links"],
        banned_terms=tuple(row["banned_terms"]),
        suspect_terms=tuple(row["suspect_terms"]),
        flood_seconds=row["flood_seconds"],
        hourly_limit=row["hourly_limit"],
        mail_sender_name=row["mail_sender_name"],
        mail_reply_to=row["mail_reply_to"],
        language=Language(row["language"]),
        public_url=row["public_url"],
        terms_url=row["terms_url"],
        require_verified_email=row["require_verified_email"],
        statement_of_reasons=StatementPolicy(row["statement_of_reasons"]),
        redress_text=row["redress_text"],
        report_threshold=row["report_threshold"],
        report_action=ReportAction(row["report_action"]),
    )


def _site(row: object) -> Site:
    r = dict(row)  # type: ignore[call-overload]
    settings = SiteSettings() if r.get("policy") is None else _settings(r)
    return Site(
        id=r["id"], slug=r["slug"], name=r["name"], origins=tuple(r["origins"]), settings=settings
    )


async def site_by_slug(conn: Connection, slug: str) -> Site | None:
    row = await conn.fetchrow(
        f"""-- cross-tenant: found by slug before its id is known (SiteDirectory keeps it)
            SELECT {SITE_WITH_SETTINGS} FROM sites s
              LEFT JOIN site_settings st ON st.site_id = s.id
             WHERE s.slug = $1""",
        slug,
    )
    return None if row is None else _site(row)


async def update_settings(
    conn: Connection, site_id: int, changes: Mapping[str, Any]
) -> SiteSettings:
    """Set only the settings named in `changes` (SiteSettings field names), the others as they are
    at this moment — defaults for a site without settings yet. One statement: a concurrent change
    of other settings is kept, never overwritten with what was read before it."""
    wanted = dataclasses.replace(SiteSettings(), **changes)
    row = await conn.fetchrow(
        """INSERT INTO site_settings (site_id, policy, max_links, banned_terms, suspect_terms,
                                      flood_seconds, hourly_limit, mail_sender_name,
                                      mail_reply_to, language, public_url, terms_url,
                                      require_verified_email, statement_of_reasons,
                                      redress_text, report_threshold, report_action)
           VALUES ($1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
           ON CONFLICT (site_id) DO UPDATE SET
               policy = CASE WHEN 'policy' = any($2::text[])
                    THEN excluded.policy ELSE site_settings.policy END,
               max_links = CASE WHEN 'max_links' = any($2::text[])
                    THEN excluded.max_links ELSE site_settings.max_links END,
               banned_terms = CASE WHEN 'banned_terms' = any($2::text[])
                    THEN excluded.banned_terms ELSE site_settings.banned_terms END,
               suspect_terms = CASE WHEN 'suspect_terms' = any($2::text[])
                    THEN excluded.suspect_terms ELSE site_settings.suspect_terms END,
               flood_seconds = CASE WHEN 'flood_seconds' = any($2::text[])
                    THEN excluded.flood_seconds ELSE site_settings.flood_seconds END,
               hourly_limit = CASE WHEN 'hourly_limit' = any($2::text[])
                    THEN excluded.hourly_limit ELSE site_settings.hourly_limit END,
               mail_sender_name = CASE WHEN 'mail_sender_name' = any($2::text[])
                    THEN excluded.mail_sender_name ELSE site_settings.mail_sender_name END,
               mail_reply_to = CASE WHEN 'mail_reply_to' = any($2::text[])
                    THEN excluded.mail_reply_to ELSE site_settings.mail_reply_to END,
               language = CASE WHEN 'language' = any($2::text[])
                    THEN excluded.language ELSE site_settings.language END,
               public_url = CASE WHEN 'public_url' = any($2::text[])
                    THEN excluded.public_url ELSE site_settings.public_url END,
               terms_url = CASE WHEN 'terms_url' = any($2::text[])
                    THEN excluded.terms_url ELSE site_settings.terms_url END,
               require_verified_email = CASE WHEN 'require_verified_email' = any($2::text[])
                    THEN excluded.require_verified_email
                    ELSE site_settings.require_verified_email END,
               statement_of_reasons = CASE WHEN 'statement_of_reasons' = any($2::text[])
                    THEN excluded.statement_of_reasons ELSE site_settings.statement_of_reasons END,
               redress_text = CASE WHEN 'redress_text' = any($2::text[])
                    THEN excluded.redress_text ELSE site_settings.redress_text END,
               report_threshold = CASE WHEN 'report_threshold' = any($2::text[])
                    THEN excluded.report_threshold ELSE site_settings.report_threshold END,
               report_action = CASE WHEN 'report_action' = any($2::text[])
                    THEN excluded.report_action ELSE site_settings.report_action END,
               updated_at = now()
           RETURNING policy, max_links, banned_terms, suspect_terms, flood_seconds, hourly_limit,
                     mail_sender_name, mail_reply_to, language, public_url, terms_url,
                     require_verified_email, statement_of_reasons, redress_text,
                     report_threshold, report_action""",
        site_id,
        list(changes),
        wanted.policy.value,
        wanted.max_links,
        list(wanted.banned_terms),
        list(wanted.suspect_terms),
        wanted.flood_seconds,
        wanted.hourly_limit,
        wanted.mail_sender_name,
        wanted.mail_reply_to,
        wanted.language.value,
        wanted.public_url,
        wanted.terms_url,
        wanted.require_verified_email,
        wanted.statement_of_reasons.value,
        wanted.redress_text,
        wanted.report_threshold,
        wanted.report_action.value,
    )
    assert row is not None
    return _settings(dict(row))


async def insert_site(conn: Connection, slug: str, name: str, origins: list[str]) -> Site:
    row = await conn.fetchrow(
        f"INSERT INTO sites (slug, name, origins) VALUES ($1, $2, $3) RETURNING {SITE_COLUMNS}",
        slug,
        name,
        origins,
    )
    return _site(row)


async def insert_token(
    conn: Connection, site_id: int, role: Role, token_hash: bytes, prefix: str
) -> int:
    return int(
        await conn.fetchval(
            """INSERT INTO tokens (site_id, role, token_hash, prefix)
               VALUES ($1, $2, $3, $4) RETURNING id""",
            site_id,
            role.value,
            token_hash,
            prefix,
        )
    )


async def revoke_token(conn: Connection, token_id: int) -> bool:
    status = await conn.execute(
        "UPDATE tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", token_id
    )
    return rows_affected(status) == 1


async def actor_by_token_hash(conn: Connection, token_hash: bytes) -> Actor | None:
    row = await conn.fetchrow(
        """SELECT t.id, t.site_id, t.role, s.slug
             FROM tokens t JOIN sites s ON s.id = t.site_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL""",
        token_hash,
    )
    if row is None:
        return None
    return Actor(
        site_id=row["site_id"], site_slug=row["slug"], role=Role(row["role"]), token_id=row["id"]
    )
