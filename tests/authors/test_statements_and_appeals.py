"""Statements of reasons and appeals, through HTTP and a real SMTP server: a rejection or a
take-down mails the author a statement (per the site's setting), stored immutable with its
puid; its signed link lets them appeal once; another moderator decides; the author hears."""

from __future__ import annotations

import json
import time
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation import service
from moderation.authors import links
from moderation.db import POOL
from moderation.domain import Role
from tests.authors.conftest import (
    ARTICLE,
    BROWSER,
    link_in,
    mail_kinds,
    set_settings,
    text_of,
)
from tests.conftest import TEST_SECRET, SiteFixture, approve, post_comment, reject
from tests.mail.conftest import MailServer

THREAD = "politics/2026/elections"


async def confirmed_author(
    client: TestClient, site: SiteFixture, smtp_server: MailServer, **overrides: Any
) -> dict[str, Any]:
    """A comment from an author who confirmed their address (the default setting sends
    statements to verified addresses only)."""
    posted = await post_comment(client, site, page_url=ARTICLE, **overrides)
    [arrived] = await smtp_server.wait_for(1)
    path = link_in(arrived, "confirm")
    assert (await client.post(path, allow_redirects=False)).status == 303
    return posted


async def hook(client: TestClient, site: SiteFixture) -> None:
    response = await client.post(
        f"/v1/sites/{site.slug}/webhooks",
        json={"url": "http://127.0.0.1:9/hook"},
        headers=site.auth(site.admin),
    )
    assert response.status == 201, await response.text()


async def events(pool: asyncpg.Pool) -> list[tuple[str, dict[str, Any]]]:
    rows = await pool.fetch("SELECT event_type, body FROM webhook_deliveries ORDER BY id")
    return [(r["event_type"], json.loads(r["body"])) for r in rows]


async def test_an_arabic_statement_of_reasons_then_an_appeal_reversed_by_another_moderator(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(
        client,
        site,
        language="ar",
        terms_url="https://daily.example/terms",
        redress_text="يمكنك أيضاً مراسلة محرر القراء على letters@daily.example",
    )
    await hook(client, site)
    posted = await confirmed_author(client, site, smtp_server, body="تعليق <b>حاد</b> على المقال")
    await reject(
        client,
        site,
        posted["id"],
        note="internal: repeat offender",
        explanation="التعليق يهاجم كاتباً آخر بدل مناقشة الفكرة.",
    )
    arrived = await smtp_server.wait_for(2)
    statement_mail = arrived[1]
    assert str(statement_mail.message["Subject"]) == "لماذا لا يظهر تعليقك على Daily"
    text = text_of(statement_mail)
    assert "تعليقك أدناه لا يظهر على Daily: فقد رُفض قبل نشره." in text
    assert "السبب: محتوى مسيء." in text
    assert "توضيح المشرف: التعليق يهاجم كاتباً آخر بدل مناقشة الفكرة." in text
    assert "https://daily.example/terms" in text and "اتخذ هذا القرارَ شخصٌ" in text
    assert "letters@daily.example" in text
    assert "repeat offender" not in text  # the internal note stays internal
    html_part = statement_mail.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert 'dir="rtl"' in html_part and "<b>حاد</b>" in html_part
    [row] = await client.app[POOL].fetch("SELECT puid, facts, automated_detection FROM statements")
    assert row["puid"] in text and row["facts"]["decision_ground"] == (
        "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    )
    assert row["automated_detection"] is False and "@" not in str(row["facts"])
    with pytest.raises(asyncpg.PostgresError):
        await client.app[POOL].execute("UPDATE statements SET reason = 'spam'")

    appeal_path = link_in(statement_mail, "appeal")
    form = await client.get(appeal_path)
    assert form.status == 200 and "<textarea" in await form.text()
    too_long = await client.post(appeal_path, data={"text": "ا" * 2001})
    assert too_long.status == 422
    sent = await client.post(appeal_path, data={"text": "لم أهاجم أحداً، كنت أنقد الفكرة."})
    assert sent.status == 200, await sent.text()
    again = await client.post(appeal_path, data={"text": "مرة أخرى"}, headers=BROWSER)
    assert again.status == 409 and "text/html" in again.content_type
    assert "سبق الاعتراض على هذا القرار" in await again.text()

    listed = await client.get(f"/v1/sites/{site.slug}/appeals", headers=site.auth())
    [item] = (await listed.json())["items"]
    assert item["text"] == "لم أهاجم أحداً، كنت أنقد الفكرة." and item["status"] == "open"
    assert item["comment"]["id"] == posted["id"] and item["decision"]["reason"] == "offensive"
    assert item["decision"]["explanation"].startswith("التعليق يهاجم")
    decide = f"/v1/appeals/{item['id']}/decide"
    same = await client.post(decide, json={"outcome": "reversed"}, headers=site.auth())
    assert same.status == 403
    _, other = await service.admin.create_token(client.app[POOL], site.slug, Role.MODERATOR)
    bad = await client.post(decide, json={"outcome": "maybe"}, headers=site.auth(other))
    assert bad.status == 422
    done = await client.post(
        decide,
        json={"outcome": "reversed", "explanation": "النقد مشروع."},
        headers=site.auth(other),
    )
    assert done.status == 200, await done.text()
    assert (await done.json())["comment"]["status"] == "approved"
    assert (
        await client.post(decide, json={"outcome": "upheld"}, headers=site.auth(other))
    ).status == 409

    thread = await client.get(f"/v1/sites/{site.slug}/comments", params={"thread": THREAD})
    assert [c["id"] for c in (await thread.json())["items"]] == [posted["id"]]
    decided = await client.get(
        f"/v1/sites/{site.slug}/appeals", params={"status": "decided"}, headers=site.auth()
    )
    assert (await decided.json())["items"][0]["outcome"] == "reversed"

    outcome_mail = (await smtp_server.wait_for(3))[2]
    assert str(outcome_mail.message["Subject"]) == "صدر القرار في اعتراضك على Daily"
    assert "أُلغي القرار" in text_of(outcome_mail) and "النقد مشروع." in text_of(outcome_mail)

    kinds = [(kind, body["data"].get("via")) for kind, body in await events(client.app[POOL])]
    assert ("appeal.created", None) in kinds and ("appeal.decided", None) in kinds
    assert ("comment.approved", "appeal") in kinds
    assert all("@" not in str(body) for _, body in await events(client.app[POOL]))
    history = await client.get(f"/v1/comments/{posted['id']}", headers=site.auth())
    actions = [h["action"] for h in (await history.json())["history"]]
    assert actions == ["reject", "appeal", "appeal_reversed"]


async def test_an_english_take_down_upheld_on_appeal(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    posted = await confirmed_author(client, site, smtp_server, body="A fair point, I think.")
    await approve(client, site, posted["id"])
    taken_down = await client.post(
        f"/v1/comments/{posted['id']}/reject",
        json={
            "reason": "illegal_content",
            "expected_status": "approved",
            "legal_ground": "Defamation law, section 186",
        },
        headers=site.auth(),
    )
    assert taken_down.status == 200
    statement_mail = (await smtp_server.wait_for(2))[1]
    text = text_of(statement_mail)
    assert "it was removed after it had been published" in text
    assert "Ground: illegal content (Defamation law, section 186)." in text
    api = f"/v1/sites/{site.slug}/appeals"
    token = link_in(statement_mail, "appeal").rsplit("/", 1)[1]
    assert (await client.post(api, json={"token": token, "text": ""})).status == 422
    created = await client.post(api, json={"token": token, "text": "It is true."})
    assert created.status == 201
    assert (await client.post(api, json={"token": token, "text": "again"})).status == 409
    assert (await client.post(api, json={"token": token[:-4] + "AAAA", "text": "x"})).status == 404
    appeal_id = (await created.json())["id"]
    _, other = await service.admin.create_token(client.app[POOL], site.slug, Role.MODERATOR)
    upheld = await client.post(
        f"/v1/appeals/{appeal_id}/decide", json={"outcome": "upheld"}, headers=site.auth(other)
    )
    assert upheld.status == 200 and (await upheld.json())["comment"]["status"] == "rejected"
    outcome_mail = (await smtp_server.wait_for(3))[2]
    assert "the decision stands" in text_of(outcome_mail)


async def test_a_banned_term_rejection_is_an_automated_statement_to_every_author_when_all(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(client, site, banned_terms=["حبوب رخيصة"], statement_of_reasons="all")
    posted = await post_comment(client, site, body="اشتر حبوب رخيصة الآن")
    assert posted["status"] == "rejected"
    [arrived] = await smtp_server.wait_for(1)
    text = text_of(arrived)
    assert "automated means" in text and "a word or phrase the site does not allow" in text
    assert "حبوب رخيصة" not in str(await client.app[POOL].fetchval("SELECT facts FROM statements"))
    automated = await client.app[POOL].fetchrow(
        "SELECT automated_detection, automated_decision FROM statements"
    )
    assert tuple(automated) == (True, "AUTOMATED_DECISION_FULLY")
    # Any moderator may decide the appeal against the system's decision.
    token = link_in(arrived, "appeal").rsplit("/", 1)[1]
    created = await client.post(
        f"/v1/sites/{site.slug}/appeals", json={"token": token, "text": "كنت أحذّر منها"}
    )
    decided = await client.post(
        f"/v1/appeals/{(await created.json())['id']}/decide",
        json={"outcome": "reversed"},
        headers=site.auth(),
    )
    assert decided.status == 200


async def test_statements_follow_the_sites_setting(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    # `verified` (the default): an unverified author gets no statement.
    posted = await post_comment(client, site, body="one")
    await smtp_server.wait_for(1)  # the confirmation link
    await reject(client, site, posted["id"])
    assert await mail_kinds(client) == ["confirm"]
    # `off`: nobody does, verified or not.
    await set_settings(client, site, statement_of_reasons="off")
    second = await post_comment(client, site, body="two", email="omar@example.com")
    await reject(client, site, second["id"])
    assert await mail_kinds(client) == ["confirm", "confirm"]
    assert await client.app[POOL].fetchval("SELECT count(*) FROM statements") == 0
    bad = await client.patch(
        f"/v1/sites/{site.slug}/settings",
        json={"statement_of_reasons": "some"},
        headers=site.auth(site.admin),
    )
    assert bad.status == 422


async def test_expired_and_forged_appeal_links(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(client, site, statement_of_reasons="all")
    posted = await post_comment(client, site)
    await reject(client, site, posted["id"])
    arrived = await smtp_server.wait_for(2)
    statement_mail = next(a for a in arrived if "Why your comment" in str(a.message["Subject"]))
    path = link_in(statement_mail, "appeal")
    subject, expires, signature = path.rsplit("/", 1)[1].split(".")
    base = path.rsplit("/", 1)[0]
    # A longer life written into the link breaks its signature.
    assert (await client.get(f"{base}/{subject}.{int(expires) + 1}.{signature}")).status == 404
    assert (await client.get(f"{base}/1.1.x")).status == 404
    assert (await client.get(f"{base}/{'9' * 300}")).status == 404
    # Six months later: a link we signed, whose time is over.
    site_id = await client.app[POOL].fetchval("SELECT id FROM sites WHERE slug = $1", site.slug)
    past = links.sign(TEST_SECRET, links.Purpose.APPEAL, site_id, subject, int(time.time()) - 1)
    expired = await client.get(f"{base}/{past}", headers=BROWSER)
    assert expired.status == 410 and "expired" in await expired.text()
    api = await client.post(f"/v1/sites/{site.slug}/appeals", json={"token": past, "text": "x"})
    assert api.status == 410
    explanation_too_long = await client.post(
        f"/v1/comments/{posted['id']}/reject",
        json={"reason": "spam", "expected_status": "rejected", "explanation": "x" * 2001},
        headers=site.auth(),
    )
    assert explanation_too_long.status == 422
    assert (await explanation_too_long.json())["errors"][0]["field"] == "explanation"


async def test_a_comment_a_rule_flagged_is_detected_automatically_but_decided_by_a_person(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(client, site, suspect_terms=["casino"], statement_of_reasons="all")
    posted = await post_comment(client, site, body="Best casino bonus here")
    await reject(client, site, posted["id"])
    statement_mail = (await smtp_server.wait_for(2))[1]
    assert "brought the comment to a moderator" in text_of(statement_mail)
    row = await client.app[POOL].fetchrow(
        "SELECT automated_detection, automated_decision, facts FROM statements"
    )
    assert (row["automated_detection"], row["automated_decision"]) == (
        True,
        "AUTOMATED_DECISION_NOT_AUTOMATED",
    )
    assert row["facts"]["automated_detection"] == "Yes"
