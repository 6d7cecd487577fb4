"""The development mailbox's reads (/dev/mail): every site's mail, newest first, or one."""

from __future__ import annotations

import asyncpg

from ..domain import Mail
from ..errors import NotFound
from ..store import mail


async def recent(pool: asyncpg.Pool, limit: int) -> list[Mail]:
    async with pool.acquire() as conn:
        return await mail.recent_mails(conn, limit)


async def one(pool: asyncpg.Pool, site_id: int, mail_id: int) -> Mail:
    async with pool.acquire() as conn:
        found = await mail.mail_by_id(conn, site_id, mail_id)
    if found is None:
        raise NotFound("no such mail")
    return found
