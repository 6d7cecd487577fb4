"""The admin use cases: sites, their tokens and their settings."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import asyncpg

from .. import tokens
from ..directory import SiteDirectory
from ..domain import SLUG, Role, Site, SiteSettings
from ..errors import Invalid, NotFound
from ..ratelimit.refusals import Refusals
from ..store import sites


async def create_site(pool: asyncpg.Pool, slug: str, name: str, origins: list[str]) -> Site:
    if not SLUG.fullmatch(slug):
        raise Invalid.one("slug", "must be 1–63 lowercase letters, digits or dashes")
    async with pool.acquire() as conn:
        return await sites.insert_site(conn, slug, name, origins)


async def create_token(pool: asyncpg.Pool, site_slug: str, role: Role) -> tuple[int, str]:
    """A new token for a site: (its id, the token itself — shown once, stored only hashed)."""
    token = tokens.new_token()
    async with pool.acquire() as conn:
        site = await sites.site_by_slug(conn, site_slug)
        if site is None:
            raise NotFound(f"no site {site_slug!r}")
        token_id = await sites.insert_token(
            conn, site.id, role, tokens.token_hash(token), tokens.display_prefix(token)
        )
    return token_id, token


async def revoke_token(pool: asyncpg.Pool, token_id: int) -> bool:
    async with pool.acquire() as conn:
        return await sites.revoke_token(conn, token_id)


async def save_settings(pool: asyncpg.Pool, site: Site, settings: SiteSettings) -> None:
    """Replace every setting of the site (the CLI and tests set a whole policy at once)."""
    fields = {f.name: getattr(settings, f.name) for f in dataclasses.fields(SiteSettings)}
    async with pool.acquire() as conn:
        await sites.update_settings(conn, site.id, fields)


async def change_settings(
    pool: asyncpg.Pool,
    directory: SiteDirectory,
    refusals: Refusals,
    site: Site,
    changes: Mapping[str, Any],
) -> SiteSettings:
    """Change only the given settings, in one guarded statement: two admins changing different
    settings at once both keep their change. Returns the settings as they now stand; what was
    refused under the old limits may pass now, and every cached copy of the site is dropped."""
    async with pool.acquire() as conn:
        updated = await sites.update_settings(conn, site.id, changes)
    directory.forget(site.slug)
    refusals.forget_site(site.id)
    return updated
