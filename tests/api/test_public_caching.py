"""What caches may keep of public reads: `Vary: Origin` on every answer of a CORS-able route,
and a thread cache that no stream of distinct reads can wipe."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from moderation.threadcache import CACHED_LIMITS, MAX_ENTRIES, THREADS, ThreadCache
from tests.conftest import SiteFixture, approve, post_comment
from tests.support import eventually

ORIGIN = {"Origin": "https://daily.example"}


def varies_by_origin(headers: object) -> bool:
    values = headers.getall("Vary", [])  # type: ignore[attr-defined]
    return "origin" in {v.strip().lower() for h in values for v in h.split(",")}


@pytest.mark.parametrize("origin", [{}, ORIGIN, {"Origin": "https://evil.example"}])
async def test_every_answer_of_the_comments_route_varies_by_origin(
    client: TestClient, site: SiteFixture, origin: dict[str, str]
) -> None:
    path = f"/v1/sites/{site.slug}/comments"
    comment = await post_comment(client, site, body="تعليق أول عن الانتخابات")
    await approve(client, site, comment["id"])
    read = await client.get(path, params={"thread": "politics/2026/elections"}, headers=origin)
    assert read.status == 200 and varies_by_origin(read.headers)
    again = await client.get(
        path,
        params={"thread": "politics/2026/elections"},
        headers={**origin, "If-None-Match": read.headers["ETag"]},
    )
    assert again.status == 304 and varies_by_origin(again.headers)
    answers = [
        await client.get(path, params={"thread": "x", "limit": "0"}, headers=origin),  # 422
        await client.get(path, headers=origin),  # 422: no thread
        await client.get("/v1/sites/nowhere/comments?thread=x", headers=origin),  # 404
        await client.post(path, json={"thread": "x"}, headers=origin),  # 422
        await client.options(path, headers={**origin, "Access-Control-Request-Method": "POST"}),
        await client.delete(path, headers=origin),  # 405
    ]
    for answer in answers:
        assert varies_by_origin(answer.headers), (answer.status, dict(answer.headers))
        assert len(answer.headers.getall("Vary")) == 1


async def test_other_routes_do_not_vary_by_origin(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert not varies_by_origin(response.headers)


def test_a_hot_page_survives_a_scan_of_distinct_keys() -> None:
    cache = ThreadCache()
    cache.listening = True
    cache.put(1, "hot", None, 50, '"hot"', b"hot")
    assert cache.get(1, "hot", None, 50) is not None  # read again: a hot page
    for n in range(MAX_ENTRIES):  # distinct (thread, limit) pairs, each read once
        thread, limit = divmod(n, 200)
        cache.put(1, f"thread-{thread}", None, limit + 1, f'"{n}"', b"cold")
    for n in range(MAX_ENTRIES):  # distinct threads that don't exist (empty pages)
        cache.put(2, f"missing-{n}", None, 50, '"empty"', b'{"items":[],"next_cursor":null}')
    page = cache.get(1, "hot", None, 50)
    assert page is not None and page.body == b"hot"
    assert len(cache) <= MAX_ENTRIES


def test_only_a_few_page_sizes_are_kept() -> None:
    cache = ThreadCache()
    cache.listening = True
    for limit in range(1, 201):
        cache.put(1, "t", None, limit, '"x"', b"x")
    assert len(cache) == len(CACHED_LIMITS)
    assert cache.get(1, "t", None, 50) is not None
    assert cache.get(1, "t", None, 7) is None


async def test_reads_with_many_limits_and_threads_keep_the_hot_thread_cached(
    client: TestClient, site: SiteFixture
) -> None:
    cache = client.app[THREADS]
    await eventually(lambda: cache.listening)  # the listener connects in the background
    path = f"/v1/sites/{site.slug}/comments"
    comment = await post_comment(client, site, body="رأي في المقال")
    await approve(client, site, comment["id"])
    for _ in range(2):
        hot = await client.get(path, params={"thread": "politics/2026/elections"})
        assert hot.status == 200
    for limit in range(1, 201):
        odd = await client.get(path, params={"thread": "politics/2026/elections", "limit": limit})
        assert odd.status == 200
        assert (await odd.json())["items"][0]["id"] == comment["id"]
    for n in range(300):
        assert (await client.get(path, params={"thread": f"nothing/{n}"})).status == 200
    assert cache.get(1, "politics/2026/elections", None, 50) is not None
    assert cache.get(1, "politics/2026/elections", None, 7) is None
