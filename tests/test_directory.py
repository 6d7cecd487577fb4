"""moderation/directory.py: sites cached briefly (on an injected clock), rules built once per
version of a site's settings, all sharing the directory's Folder."""

from __future__ import annotations

from moderation.db import create_pool
from moderation.directory import SiteDirectory
from moderation.domain import SiteSettings
from moderation.store import sites
from tests.conftest import make_settings
from tests.support import Clock
from tests.support import whole_settings as whole


async def test_a_changed_site_is_seen_once_its_cached_copy_is_old(
    database_url: str, clean_database: None
) -> None:
    clock = Clock()
    async with create_pool(make_settings(database_url), min_size=1) as pool:
        directory = SiteDirectory(pool, ttl=2.0, clock=clock)
        async with pool.acquire() as conn:
            site = await sites.insert_site(conn, "daily", "Daily", [])
        assert (await directory.get("daily")).settings == SiteSettings()
        changed = SiteSettings(suspect_terms=("كذب",))
        async with pool.acquire() as conn:
            await sites.update_settings(conn, site.id, whole(changed))
        clock.now += 1.9
        cached = await directory.get("daily")
        assert cached.settings == SiteSettings()
        clock.now += 0.2
        fresh = await directory.get("daily")
        assert fresh.settings == changed
        rules = directory.rules_for(fresh)
        assert rules is directory.rules_for(fresh)  # built once per version of the settings
        assert rules.evaluate(name="ليلى", body="هذا كذب").flags
        assert len(directory.folder.pieces) > 0  # the rules folded with the directory's Folder
