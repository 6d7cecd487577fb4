"""The development mailbox's reads (/dev/mail): every site's mail, newest first, or one (composed
from its draft first when no sender has composed it yet)."""

from __future__ import annotations

import dataclasses

import asyncpg

from ..domain import Mail
from ..errors import NotFound
from ..mail.outbox import composed_from
from ..store import mail


async def recent(pool: asyncpg.Pool, limit: int) -> list[Mail]:
    async with pool.acquire() as conn:
        return await mail.recent_mails(conn, limit)


async def one(pool: asyncpg.Pool, site_id: int, mail_id: int) -> Mail:
    async with pool.acquire() as conn:
        found = await mail.mail_by_id(conn, site_id, mail_id)
        if found is None:
            raise NotFound("no such mail")
        shown, draft = found
        if draft is None:
            return shown
        # Stored as a sender stores it: the mail is later sent with these very bytes.
        stored = await mail.store_composed(conn, [(site_id, mail_id, composed_from(draft))])
    message = stored.get((site_id, mail_id))
    if message is None:  # erased meanwhile
        raise NotFound("no such mail")
    return dataclasses.replace(shown, message=message)
