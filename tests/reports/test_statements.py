"""The statements export and the transparency counts that need issue 11's tables: every
statement is valid against the Transparency Database's schema, with format checking on."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator

from moderation.db import POOL
from moderation.transparency import statement_schema
from tests.conftest import SiteFixture, post_comment
from tests.reports.conftest import published, report

VALIDATOR = Draft202012Validator(
    statement_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
)


async def _export(client: TestClient, site: SiteFixture, query: str = "") -> dict[str, Any]:
    response = await client.get(
        f"/v1/sites/{site.slug}/statements{query}", headers=site.auth(site.admin)
    )
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_removal_after_notices_exports_an_article_16_statement(
    client: TestClient, site: SiteFixture
) -> None:
    await client.patch(
        f"/v1/sites/{site.slug}/settings",
        json={"report_threshold": 1, "statement_of_reasons": "all", "language": "ar"},
        headers=site.auth(site.admin),
    )
    comment_id = await published(client, site, name="سارة أحمد", email="sara@example.com")
    await report(client, comment_id, 1, category="violence_or_threat", reporter_name="Layla")
    await report(client, comment_id, 2, category="violence_or_threat", reporter_email="o@ex.com")
    await report(client, comment_id, 3, category="spam")
    response = await client.post(
        f"/v1/comments/{comment_id}/reports/resolve",
        json={"action": "remove", "reason": "other", "explanation": "تهديد بالعنف"},
        headers=site.auth(),
    )
    assert response.status == 200, await response.text()
    # A decision on the site's own initiative, for comparison.
    own = (await post_comment(client, site, body="Buy cheap watches now"))["id"]
    await client.post(f"/v1/comments/{own}/reject", json={"reason": "spam"}, headers=site.auth())

    assert (
        await client.get(f"/v1/sites/{site.slug}/statements", headers=site.auth())
    ).status == 403
    exported = await _export(client, site)
    notice, voluntary = exported["items"]
    for statement in exported["items"]:
        errors = sorted(VALIDATOR.iter_errors(statement), key=str)
        assert not errors, errors
        text = str(statement)
        assert "@" not in text and "سارة" not in text and "Layla" not in text
    assert notice["source_type"] == "SOURCE_ARTICLE_16"
    # The reason says nothing specific: the notice's (most reported) category decides.
    assert notice["category"] == "STATEMENT_CATEGORY_VIOLENCE"
    assert notice["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert notice["content_language"] == "AR"
    assert voluntary["source_type"] == "SOURCE_VOLUNTARY"

    first = await _export(client, site, "?limit=1")
    assert first["items"] == [notice]
    second = await _export(client, site, f"?limit=1&cursor={first['next_cursor']}")
    assert second["items"] == [voluntary] and second["next_cursor"] is None
    assert (await _export(client, site, "?from=2001-01-01&to=2001-02-01"))["items"] == []

    pool = client.app[POOL]
    site_id, statement_id, statement_comment = await pool.fetchrow(
        """SELECT site_id, id, comment_id FROM statements
            WHERE facts ->> 'source_type' = 'SOURCE_ARTICLE_16'"""
    )
    await pool.execute(
        """INSERT INTO appeals (site_id, statement_id, comment_id, body)
           VALUES ($1, $2, $3, 'لم أهدد أحداً')""",
        site_id,
        statement_id,
        statement_comment,
    )
    response = await client.get(
        f"/v1/sites/{site.slug}/transparency", headers=site.auth(site.admin)
    )
    answer = await response.json()
    assert answer["statements_of_reasons"] == {"total": 2, "after_notice": 1}
    assert answer["appeals"] == {"total": 1, "by_outcome": [{"outcome": "open", "count": 1}]}
    assert "@" not in str(answer) and "لم أهدد" not in str(answer)
