"""SQL and row mapping, one module per table group. Nothing here opens a transaction."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy


def rows_affected(command_tag: str) -> int:
    """The row count at the end of a command tag such as "UPDATE 3" or "INSERT 0 1"."""
    return int(command_tag.rsplit(" ", 1)[-1])
