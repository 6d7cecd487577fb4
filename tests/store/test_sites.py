"""moderation/store/sites.py on real PostgreSQL."""

from __future__ import annotations

import hashlib

from asyncpg.pool import PoolConnectionProxy

from moderation.domain import Policy, Role, Site, SiteSettings
from moderation.store import sites
from tests.support import whole_settings as whole


async def test_a_site_is_found_by_slug_with_default_settings_until_saved(
    conn: PoolConnectionProxy, site: Site
) -> None:
    found = await sites.site_by_slug(conn, "daily")
    assert found == site and found.settings == SiteSettings()
    assert await sites.site_by_slug(conn, "nowhere") is None


async def test_saved_settings_are_read_back_and_saved_again_in_place(
    conn: PoolConnectionProxy, site: Site
) -> None:
    wanted = SiteSettings(
        policy=Policy.TRUST_APPROVED_AUTHORS, banned_terms=("كلمة سيئة",), suspect_terms=("spam",)
    )
    await sites.update_settings(conn, site.id, whole(wanted))
    found = await sites.site_by_slug(conn, "daily")
    assert found is not None and found.settings == wanted
    await sites.update_settings(conn, site.id, whole(SiteSettings(max_links=0)))
    found = await sites.site_by_slug(conn, "daily")
    assert found is not None and found.settings == SiteSettings(max_links=0)


async def test_a_token_stands_for_its_actor_until_revoked(
    conn: PoolConnectionProxy, site: Site
) -> None:
    token_hash = hashlib.sha256(b"admin token").digest()
    token_id = await sites.insert_token(conn, site.id, Role.ADMIN, token_hash, "adm_1234")
    actor = await sites.actor_by_token_hash(conn, token_hash)
    assert actor is not None
    assert (actor.site_id, actor.site_slug, actor.role, actor.token_id) == (
        site.id,
        "daily",
        Role.ADMIN,
        token_id,
    )
    assert await sites.revoke_token(conn, token_id) is True
    assert await sites.revoke_token(conn, token_id) is False  # already revoked
    assert await sites.actor_by_token_hash(conn, token_hash) is None
