"""How a site's mail reads, set through the settings API: validated field by field (422 naming
the field), `null` clears, and nothing else changes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import SiteFixture


async def patch(client: TestClient, site: SiteFixture, body: Any) -> Any:
    return await client.patch(
        f"/v1/sites/{site.slug}/settings", json=body, headers=site.auth(site.admin)
    )


async def test_mail_settings_are_saved_shown_and_cleared(
    client: TestClient, site: SiteFixture
) -> None:
    initial = await (
        await client.get(f"/v1/sites/{site.slug}/settings", headers=site.auth(site.admin))
    ).json()
    assert (initial["language"], initial["mail_sender_name"], initial["public_url"]) == (
        "en",
        None,
        None,
    )
    values = {
        "mail_sender_name": "  أخبار   اليوم ",
        "mail_reply_to": "Letters@Daily.example",
        "language": "ar",
        "public_url": "https://daily.example/",
        "terms_url": "https://daily.example/شروط",
    }
    response = await patch(client, site, values)
    assert response.status == 200
    saved = await response.json()
    assert saved["mail_sender_name"] == "أخبار اليوم"
    assert saved["mail_reply_to"] == "Letters@daily.example"
    assert (saved["language"], saved["terms_url"]) == ("ar", "https://daily.example/شروط")
    assert saved["policy"] == initial["policy"]
    again = await (
        await client.get(f"/v1/sites/{site.slug}/settings", headers=site.auth(site.admin))
    ).json()
    assert again == saved
    cleared = await (await patch(client, site, {"mail_reply_to": None, "terms_url": ""})).json()
    assert cleared["mail_reply_to"] is None and cleared["terms_url"] is None
    assert cleared["public_url"] == "https://daily.example/"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("language", "fr"),
        ("language", None),
        ("mail_sender_name", "x" * 101),
        ("mail_sender_name", "\u202e"),
        ("mail_sender_name", 7),
        ("mail_reply_to", "not an address"),
        ("mail_reply_to", "سارة"),
        ("public_url", "javascript:alert(1)"),
        ("public_url", "http://[oops"),
        ("public_url", "https://daily.example:99999/"),
        ("public_url", "https://user:secret@daily.example/"),
        ("public_url", "https://daily.example/a b"),
        ("terms_url", "/terms"),
        ("terms_url", "https://daily.example/" + "a" * 2000),
        ("terms_url", ["https://daily.example/"]),
    ],
)
async def test_a_bad_mail_setting_is_a_422_naming_the_field(
    client: TestClient, site: SiteFixture, field: str, value: Any
) -> None:
    response = await patch(client, site, {field: value, "max_links": 3})
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    unchanged = await (
        await client.get(f"/v1/sites/{site.slug}/settings", headers=site.auth(site.admin))
    ).json()
    assert unchanged["max_links"] != 3
