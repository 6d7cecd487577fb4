"""Sites (tenants) and the tokens that act on them."""

from __future__ import annotations

from ..domain import Actor, Role, Site
from . import Connection

SITE_COLUMNS = "id, slug, name, origins"


def _site(row: object) -> Site:
    r = dict(row)  # type: ignore[call-overload]
    return Site(id=r["id"], slug=r["slug"], name=r["name"], origins=tuple(r["origins"]))


async def site_by_slug(conn: Connection, slug: str) -> Site | None:
    row = await conn.fetchrow(f"SELECT {SITE_COLUMNS} FROM sites WHERE slug = $1", slug)
    return None if row is None else _site(row)


async def insert_site(conn: Connection, slug: str, name: str, origins: list[str]) -> Site:
    row = await conn.fetchrow(
        f"INSERT INTO sites (slug, name, origins) VALUES ($1, $2, $3) RETURNING {SITE_COLUMNS}",
        slug,
        name,
        origins,
    )
    return _site(row)


async def count_sites(conn: Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM sites"))


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
