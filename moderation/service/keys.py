"""Re-sealing the email addresses at rest under the current key id (`moderation keys rotate`):
small batches along each table's primary key, each its own short transaction, so it runs
beside the service and beside a second rotation; running it again finds nothing to do."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
import structlog

from ..sealing import Keyring, Sealed, Unreadable, log_unreadable
from ..store import addresses
from ..store.addresses import Column, Held

log = structlog.get_logger("moderation.keys")

# A pass skips the rows other transactions hold at that moment (a second rotation, a decision,
# an erase: all short); after a pause, another pass takes what is still left.
PASSES = 5
PAUSE = 0.5


@dataclass(slots=True)
class Rotated:
    place: str
    sealed: int = 0  # were plain (written before migration 0014)
    resealed: int = 0  # were sealed under another key id
    unreadable: int = 0  # do not open with this secret and key ids (logged, left as they are)
    remaining: int = 0  # still plain or under another key id when the rotation ended


async def rotate(pool: asyncpg.Pool, keys: Keyring, *, batch_size: int) -> list[Rotated]:
    done = []
    for column in addresses.COLUMNS:
        counts = Rotated(column.place.value)
        for _ in range(PASSES):
            counts.unreadable = 0  # the last pass's count: each pass meets them again
            await _pass(pool, keys, column, batch_size, counts)
            async with pool.acquire() as conn:
                counts.remaining = await addresses.stale_count(conn, column, keys.current)
            if counts.remaining <= counts.unreadable:
                break
            await asyncio.sleep(PAUSE)
        log.info(
            "addresses_rotated",
            place=counts.place,
            key_id=keys.current,
            sealed=counts.sealed,
            resealed=counts.resealed,
            unreadable=counts.unreadable,
            remaining=counts.remaining,
        )
        done.append(counts)
    return done


async def _pass(
    pool: asyncpg.Pool, keys: Keyring, column: Column, batch_size: int, counts: Rotated
) -> None:
    """One walk along the table, batch after batch."""
    after = (0, 0)
    while True:
        async with pool.acquire() as conn, conn.transaction():
            held = await addresses.claim_stale(conn, column, after, keys.current, batch_size)
            if not held:
                return
            await addresses.reseal(conn, column, _sealed(keys, column, held, counts))
        after = (held[-1].site_id, held[-1].id)


def _sealed(
    keys: Keyring, column: Column, held: list[Held], counts: Rotated
) -> list[tuple[Held, Sealed]]:
    sealed = []
    for row in held:
        try:
            value = keys.reveal(row.stored)
        except Unreadable as exc:
            counts.unreadable += 1
            log_unreadable(exc, row_id=row.id)
            continue
        if row.stored.sealed is None:
            counts.sealed += 1
        else:
            counts.resealed += 1
        sealed.append((row, keys.seal(column.place, row.site_id, value)))
    return sealed
