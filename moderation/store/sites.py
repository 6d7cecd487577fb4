"""Sites (tenants) and the tokens that act on them."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import StrEnum
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
# Each SiteSettings field is a column of site_settings with the same name.
SETTING_COLUMNS = tuple(f.name for f in dataclasses.fields(SiteSettings))
SITE_WITH_SETTINGS = "s.id, s.slug, s.name, s.origins, " + ", ".join(
    f"st.{column}" for column in SETTING_COLUMNS
)


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
        retain_ip_days=row["retain_ip_days"],
        retain_email_days=row["retain_email_days"],
        purge_rejected_days=row["purge_rejected_days"],
        purge_spam_days=row["purge_spam_days"],
        purge_unverified_days=row["purge_unverified_days"],
        retain_deliveries_days=row["retain_deliveries_days"],
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


# $1 the site, $2 the names of the settings to change, $3… every setting's wanted value.
_CHANGED_ONLY = ",\n        ".join(
    f"{c} = CASE WHEN '{c}' = any($2::text[]) THEN excluded.{c} ELSE site_settings.{c} END"
    for c in SETTING_COLUMNS
)
_UPDATE_SETTINGS = f"""
    INSERT INTO site_settings (site_id, {", ".join(SETTING_COLUMNS)})
    VALUES ($1, {", ".join(f"${n}" for n in range(3, 3 + len(SETTING_COLUMNS)))})
    ON CONFLICT (site_id) DO UPDATE SET
        {_CHANGED_ONLY},
        updated_at = now()
    RETURNING {", ".join(SETTING_COLUMNS)}"""


def _column_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value.value if isinstance(value, StrEnum) else value


async def update_settings(
    conn: Connection, site_id: int, changes: Mapping[str, Any]
) -> SiteSettings:
    """Set only the settings named in `changes` (SiteSettings field names), the others as they are
    at this moment — defaults for a site without settings yet. One statement: a concurrent change
    of other settings is kept, never overwritten with what was read before it."""
    wanted = dataclasses.replace(SiteSettings(), **changes)
    row = await conn.fetchrow(
        _UPDATE_SETTINGS,
        site_id,
        list(changes),
        *(_column_value(getattr(wanted, c)) for c in SETTING_COLUMNS),
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
