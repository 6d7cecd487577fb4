"""moderation/store/ratelimits.py on real PostgreSQL."""

from __future__ import annotations

from asyncpg.pool import PoolConnectionProxy

from moderation.domain import Site
from moderation.store import ratelimits
from moderation.store.ratelimits import Bucket


async def test_a_bucket_allows_its_burst_then_names_the_wait(
    conn: PoolConnectionProxy, site: Site
) -> None:
    per_ip = Bucket("ip:192.0.2.1", interval=60.0, tolerance=60.0)  # two at once, then one a minute
    assert await ratelimits.take(conn, site.id, [per_ip]) is None
    assert await ratelimits.take(conn, site.id, [per_ip]) is None
    wait = await ratelimits.take(conn, site.id, [per_ip])
    assert wait is not None and 55 < wait <= 60
    other_site = await conn.fetchval(
        "INSERT INTO sites (slug, name, origins) VALUES ('weekly', 'Weekly', '{}') RETURNING id"
    )
    assert await ratelimits.take(conn, other_site, [per_ip]) is None  # each site its own


async def test_a_check_of_several_buckets_refuses_if_any_refuses(
    conn: PoolConnectionProxy, site: Site
) -> None:
    author = Bucket("author:ليلى", interval=3600.0, tolerance=0.0)
    ip = Bucket("ip:192.0.2.1", interval=1.0, tolerance=100.0)
    assert await ratelimits.take(conn, site.id, [author, ip]) is None
    wait = await ratelimits.take(conn, site.id, [author, ip])
    assert wait is not None and 3500 < wait <= 3600


async def test_the_sweep_deletes_only_lapsed_rows(conn: PoolConnectionProxy, site: Site) -> None:
    await ratelimits.take(conn, site.id, [Bucket("lapsed", interval=0.0, tolerance=0.0)])
    await ratelimits.take(conn, site.id, [Bucket("live", interval=600.0, tolerance=0.0)])
    assert await ratelimits.sweep(conn) == 1
    assert await conn.fetchval("SELECT bucket FROM rate_limits") == "live"
