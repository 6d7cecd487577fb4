"""Inputs an attacker tried (issue 9, findings 1 and 5): each gets a 4xx problem naming the
field, or the answer any other bad value gets, never a 500 or a dropped connection."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp.test_utils import TestClient

from moderation.db import POOL
from tests.conftest import SiteFixture, comment_payload, post_comment

LONG_NUMBER = "9" * 5000


async def stored_comments(client: TestClient) -> int:
    return int(await client.app[POOL].fetchval("SELECT count(*) FROM comments"))


@pytest.mark.parametrize(
    "website", ["http://[oops", "https://[::1", "http://example.com:99999", "http://a:b:c/"]
)
async def test_a_website_urlsplit_refuses_is_a_422_naming_the_field(
    client: TestClient, site: SiteFixture, website: str
) -> None:
    response = await client.post(
        f"/v1/sites/{site.slug}/comments", json=comment_payload(website=website)
    )
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert [e["field"] for e in (await response.json())["errors"]] == ["website"]
    assert await stored_comments(client) == 0


@pytest.mark.parametrize("path", ["/v1/sites/{slug}/comments", "/v1/sites/{slug}/queue"])
async def test_a_limit_of_five_thousand_digits_is_a_422(
    client: TestClient, site: SiteFixture, path: str
) -> None:
    response = await client.get(
        path.format(slug=site.slug),
        params={"thread": "t", "limit": LONG_NUMBER},
        headers=site.auth(),
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "limit"


async def test_a_deliveries_limit_of_five_thousand_digits_is_a_422(
    client: TestClient, site: SiteFixture
) -> None:
    created = await client.post(
        f"/v1/sites/{site.slug}/webhooks",
        json={"url": "https://hooks.example/in"},
        headers=site.auth(site.admin),
    )
    assert created.status == 201
    endpoint = (await created.json())["id"]
    response = await client.get(
        f"/v1/sites/{site.slug}/webhooks/{endpoint}/deliveries",
        params={"limit": LONG_NUMBER},
        headers=site.auth(site.admin),
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "limit"


@pytest.mark.parametrize(
    "cursor",
    [
        LONG_NUMBER,
        # base64 of "<5,000 digits>.1": decodes fine, then int() refuses it
        __import__("base64").urlsafe_b64encode(f"{LONG_NUMBER}.1".encode()).decode(),
        # base64 of "1.99999999999999999999": an id beyond bigint
        "MS45OTk5OTk5OTk5OTk5OTk5OTk5OQ",
        "ﾟ",
    ],
)
async def test_a_malformed_cursor_is_a_422(
    client: TestClient, site: SiteFixture, cursor: str
) -> None:
    response = await client.get(
        f"/v1/sites/{site.slug}/comments", params={"thread": "t", "cursor": cursor}
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("referer", ["http://[::1", "http://[oops/", "https://x:99999/"])
async def test_sign_in_with_a_broken_referer_is_refused_as_cross_site(
    client: TestClient, referer: str
) -> None:
    response = await client.post(
        "/moderate/session", json={"token": "x"}, headers={"Referer": referer}
    )
    assert response.status == 403
    assert response.content_type == "application/problem+json"


async def raw_request(client: TestClient, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send bytes no HTTP client library would (a raw 0xFF in a header); the status and body."""
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    try:
        writer.write(head + b"\r\nConnection: close\r\n\r\n" + body)
        await writer.drain()
        async with asyncio.timeout(10):
            answer = await reader.read()
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


async def test_a_session_cookie_with_a_non_ascii_byte_is_not_signed_in(
    client: TestClient, site: SiteFixture
) -> None:
    for path in (b"/moderate/session", f"/v1/sites/{site.slug}/queue".encode()):
        status, body = await raw_request(
            client, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nCookie: moderation_session=caf\xe9"
        )
        assert status == 401, path
        assert json.loads(body)["status"] == 401


async def test_a_csrf_header_with_a_non_ascii_byte_is_forbidden(
    client: TestClient, site: SiteFixture
) -> None:
    signed_in = await client.post("/moderate/session", json={"token": site.moderator})
    assert signed_in.status == 200
    cookie = signed_in.cookies["moderation_session"].value
    comment = await post_comment(client, site)
    status, body = await raw_request(
        client,
        f"POST /v1/comments/{comment['id']}/approve HTTP/1.1\r\nHost: x\r\n".encode()
        + f"Cookie: moderation_session={cookie}\r\n".encode()
        + b"Content-Type: application/json\r\nContent-Length: 2\r\nX-CSRF-Token: \xff\xfe",
        b"{}",
    )
    assert status == 403
    assert json.loads(body)["status"] == 403


@pytest.mark.parametrize("slug", ["a%00", "daily%00", "a%0A", "%C3%A9", "daily%0A"])
async def test_a_control_character_in_the_site_slug_is_a_404_problem_even_with_an_origin(
    client: TestClient, site: SiteFixture, slug: str
) -> None:
    for method in ("GET", "POST", "OPTIONS"):
        response = await client.request(
            method,
            f"/v1/sites/{slug}/comments?thread=x",
            headers={"Origin": "https://daily.example"},
        )
        assert response.status == 404, (method, slug)
        assert response.content_type == "application/problem+json"


@pytest.mark.parametrize("control", ["%00", "%0B", "%7F", "%1B", "%0D%0ALocation:%20x"])
async def test_a_form_post_whose_return_to_holds_a_control_character_answers_202(
    client: TestClient, site: SiteFixture, control: str
) -> None:
    body = "&".join(
        [
            "thread=t",
            "name=%D8%B3%D8%A7%D8%B1%D8%A9",
            "email=sara%40example.com",
            "body=%D8%AA%D8%B9%D9%84%D9%8A%D9%82+thanks",
            f"return_to=https%3A%2F%2Fdaily.example%2Fa{control}b",
        ]
    )
    response = await client.post(
        f"/v1/sites/{site.slug}/comments",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
    )
    assert response.status == 202
    assert "Location" not in response.headers
    assert (await response.json())["status"] == "pending"
    assert await stored_comments(client) == 1


async def test_a_form_post_back_to_an_arabic_address_is_percent_encoded(
    client: TestClient, site: SiteFixture
) -> None:
    response = await client.post(
        f"/v1/sites/{site.slug}/comments",
        data={**comment_payload(), "return_to": "https://daily.example/سياسة/مقال"},
        allow_redirects=False,
    )
    assert response.status == 303
    assert response.headers["Location"] == (
        "https://daily.example/%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9/%D9%85%D9%82%D8%A7%D9%84"
        "#comment-status=pending"
    )


async def test_an_error_answer_to_an_allowed_origin_is_a_problem_the_widget_can_read(
    client: TestClient, site: SiteFixture
) -> None:
    response = await client.post(
        f"/v1/sites/{site.slug}/comments",
        json=comment_payload(website="http://[oops", body="تعليق"),
        headers={"Origin": "https://daily.example"},
    )
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    assert response.headers["Access-Control-Allow-Origin"] == "https://daily.example"
