"""Sites (tenants) and the tokens that act on them."""

from __future__ import annotations

from ..domain import Actor, Language, Policy, Role, Site, SiteSettings, StatementPolicy
from . import Connection

SITE_COLUMNS = "id, slug, name, origins"
SITE_WITH_SETTINGS = """s.id, s.slug, s.name, s.origins, st.policy, st.max_links, st.banned_terms,
    st.suspect_terms, st.flood_seconds, st.hourly_limit, st.mail_sender_name, st.mail_reply_to,
    st.language, st.public_url, st.terms_url, st.require_verified_email,
    st.statement_of_reasons, st.redress_text"""


def _site(row: object) -> Site:
    r = dict(row)  # type: ignore[call-overload]
    settings = SiteSettings()
    if r.get("policy") is not None:
        settings = SiteSettings(
            policy=Policy(r["policy"]),
            max_links=r["max_links"],
            banned_terms=tuple(r["banned_terms"]),
            suspect_terms=tuple(r["suspect_terms"]),
            flood_seconds=r["flood_seconds"],
            hourly_limit=r["hourly_limit"],
            mail_sender_name=r["mail_sender_name"],
            mail_reply_to=r["mail_reply_to"],
            language=Language(r["language"]),
            public_url=r["public_url"],
            terms_url=r["terms_url"],
            require_verified_email=r["require_verified_email"],
            statement_of_reasons=StatementPolicy(r["statement_of_reasons"]),
            redress_text=r["redress_text"],
        )
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


async def save_settings(conn: Connection, site_id: int, settings: SiteSettings) -> None:
    await conn.execute(
        """INSERT INTO site_settings (site_id, policy, max_links, banned_terms, suspect_terms,
                                      flood_seconds, hourly_limit, mail_sender_name,
                                      mail_reply_to, language, public_url, terms_url,
                                      require_verified_email, statement_of_reasons,
                                      redress_text)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           ON CONFLICT (site_id) DO UPDATE
              SET policy = excluded.policy, max_links = excluded.max_links,
                  banned_terms = excluded.banned_terms, suspect_terms = excluded.suspect_terms,
                  flood_seconds = excluded.flood_seconds, hourly_limit = excluded.hourly_limit,
                  mail_sender_name = excluded.mail_sender_name,
                  mail_reply_to = excluded.mail_reply_to, language = excluded.language,
                  public_url = excluded.public_url, terms_url = excluded.terms_url,
                  require_verified_email = excluded.require_verified_email,
                  statement_of_reasons = excluded.statement_of_reasons,
                  redress_text = excluded.redress_text,
                  updated_at = now()""",
        site_id,
        settings.policy.value,
        settings.max_links,
        list(settings.banned_terms),
        list(settings.suspect_terms),
        settings.flood_seconds,
        settings.hourly_limit,
        settings.mail_sender_name,
        settings.mail_reply_to,
        settings.language.value,
        settings.public_url,
        settings.terms_url,
        settings.require_verified_email,
        settings.statement_of_reasons.value,
        settings.redress_text,
    )


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
    return status == "UPDATE 1"


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
