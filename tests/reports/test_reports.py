"""Readers report published comments (issue 12): through HTTP, with the receipt and decision
mails through a real SMTP server, in Arabic and English."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from moderation.db import POOL
from tests.conftest import SiteFixture, make_site, post_comment
from tests.mail.conftest import MailServer
from tests.reports.conftest import (
    delivered,
    listing,
    mails_to,
    published,
    reader,
    report,
    subscribe,
    the_decision,
)


async def _thread_ids(client: TestClient, site: SiteFixture) -> list[str]:
    response = await client.get(
        f"/v1/sites/{site.slug}/comments", params={"thread": "politics/2026/elections"}
    )
    assert response.status == 200
    return [c["id"] for c in (await response.json())["items"]]


async def test_a_reader_reports_a_comment_and_gets_a_receipt_by_mail_in_arabic(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await client.patch(
        f"/v1/sites/{site.slug}/settings", json={"language": "ar"}, headers=site.auth(site.admin)
    )
    comment_id = await published(client, site)
    answer = await report(
        client,
        comment_id,
        category="hate_speech",
        explanation="خطاب كراهية ضد اللاجئين",
        reporter_name="ليلى",
        reporter_email="Layla@Example.com",
    )
    assert answer["status"] == "open" and answer["reference"].startswith("R-")
    assert answer["comment_id"] == comment_id and "category" not in answer
    assert "@" not in str(answer)
    [message] = await mails_to(smtp_server, "Layla@example.com", 1)
    assert message["To"] == "Layla@example.com"
    assert message["Subject"] == f"تلقّينا بلاغك ({answer['reference']})"
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "مرحباً ليلى" in text and "خطاب كراهية" in text and answer["reference"] in text
    rows = await client.app[POOL].fetch("SELECT kind FROM mail_outbox WHERE kind LIKE 'report%'")
    assert [r["kind"] for r in rows] == ["report_receipt"]


async def test_only_approved_comments_can_be_reported_and_others_look_missing(
    client: TestClient, site: SiteFixture, other_site: SiteFixture
) -> None:
    pending = (await post_comment(client, site))["id"]
    rejected = (await post_comment(client, site, body="تعليق مرفوض"))["id"]
    await client.post(
        f"/v1/comments/{rejected}/reject", json={"reason": "spam"}, headers=site.auth()
    )
    answers = []
    for comment_id in (pending, rejected, "999999999", "nope", "-1"):
        response = await client.post(
            f"/v1/comments/{comment_id}/reports",
            json={"category": "spam"},
            headers={"Origin": "https://daily.example"},
        )
        assert response.status == 404
        body = await response.json()
        body.pop("request_id", None)
        body.pop("instance", None)
        answers.append((body, "Access-Control-Allow-Origin" in response.headers))
    assert all(a == answers[0] for a in answers), answers
    assert answers[0][1] is False


async def test_bad_fields_are_named(client: TestClient, site: SiteFixture) -> None:
    comment_id = await published(client, site)
    answer = await report(client, comment_id, status=422, category="rude")
    assert [e["field"] for e in answer["errors"]] == ["category"]
    answer = await report(
        client, comment_id, status=422, category="illegal_content", explanation=None
    )
    assert sorted(e["field"] for e in answer["errors"]) == ["explanation", "good_faith"]
    answer = await report(
        client, comment_id, status=422, explanation="x" * 2001, reporter_email="not an address"
    )
    assert sorted(e["field"] for e in answer["errors"]) == ["explanation", "reporter_email"]


async def test_the_same_reporter_gets_the_same_report_back(
    client: TestClient, site: SiteFixture
) -> None:
    comment_id = await published(client, site)
    first = await report(client, comment_id, 1, reporter_email="sara@example.com")
    # The same address from another network, in another case: the same report.
    again = await report(client, comment_id, 2, reporter_email="SARA@example.com", category="spam")
    assert again == first
    # Without an address, the network is the reporter.
    anonymous = await report(client, comment_id, 3)
    assert await report(client, comment_id, 3, category="other") == anonymous
    assert anonymous["reference"] != first["reference"]
    [row] = (await listing(client, site, "?status=open"))["items"] or [None]
    assert row is None  # 2 reporters: under the default threshold of 3


async def test_at_the_threshold_the_comment_enters_the_queue_and_one_network_counts_once(
    client: TestClient, site: SiteFixture
) -> None:
    comment_id = await published(client, site, body="Rude words about the mayor, again.")
    for n, email in enumerate(("a@example.com", "b@example.com", "c@example.com")):
        await report(client, comment_id, 9, reporter_email=email, category=["spam", "other"][n % 2])
    assert (await listing(client, site))["items"] == []  # one network: one reporter
    await report(client, comment_id, 10)
    assert (await listing(client, site))["items"] == []
    await report(client, comment_id, 11, explanation="Harassment of a named person")
    [item] = (await listing(client, site))["items"]
    assert item["comment"]["id"] == comment_id and item["reporters"] == 3 and item["reports"] == 5
    assert item["categories"] == ["harassment", "other", "spam"]
    assert {r["reporter_email"] for r in item["items"]} == {
        "a@example.com",
        "b@example.com",
        "c@example.com",
        None,
    }
    assert item["first_report_at"] <= item["last_report_at"] and item["hidden"] is False
    assert comment_id in await _thread_ids(client, site)  # `queue`: it stays up


async def test_illegal_content_enters_the_queue_at_once(
    client: TestClient, site: SiteFixture
) -> None:
    comment_id = await published(client, site)
    await report(
        client,
        comment_id,
        category="illegal_content",
        explanation="Publishes a private address and phone number",
        legal_ground="GDPR Art. 6",
        good_faith=True,
    )
    [item] = (await listing(client, site, "?category=illegal_content"))["items"]
    assert item["reporters"] == 1 and item["items"][0]["legal_ground"] == "GDPR Art. 6"
    assert (await listing(client, site, "?category=spam"))["items"] == []
    bad = await client.get(f"/v1/sites/{site.slug}/reports?category=rude", headers=site.auth())
    assert bad.status == 422


async def test_hide_takes_the_comment_off_the_thread_until_a_moderator_keeps_it(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await client.patch(
        f"/v1/sites/{site.slug}/settings",
        json={"report_threshold": 2, "report_action": "hide"},
        headers=site.auth(site.admin),
    )
    comment_id = await published(client, site)
    await subscribe(client, site.slug, "comment.reported", "report.resolved")
    assert comment_id in await _thread_ids(client, site)  # cached now
    await report(client, comment_id, 1, reporter_email="one@example.com", reporter_name="Omar")
    assert comment_id in await _thread_ids(client, site)
    await report(client, comment_id, 2, category="misinformation")
    assert comment_id not in await _thread_ids(client, site)  # the cache was dropped
    [item] = (await listing(client, site))["items"]
    assert item["hidden"] is True

    response = await client.post(
        f"/v1/comments/{comment_id}/reports/resolve",
        json={"action": "keep", "explanation": "Criticism of a public figure is allowed."},
        headers=site.auth(),
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["action"] == "keep"
    assert comment_id in await _thread_ids(client, site)
    again = await client.post(
        f"/v1/comments/{comment_id}/reports/resolve", json={"action": "keep"}, headers=site.auth()
    )
    assert again.status == 409
    [resolved] = (await listing(client, site, "?status=resolved"))["items"]
    assert resolved["action"] == "keep" and resolved["status"] == "resolved"

    reported = await delivered(client, "comment.reported")
    assert [r["data"]["reporters"] for r in reported] == [1, 2]
    assert reported[1]["data"]["hidden"] is True
    assert "@" not in str(reported) and "Omar" not in str(reported)
    [done] = await delivered(client, "report.resolved")
    assert done["data"]["action"] == "keep" and "@" not in str(done)

    decision = the_decision(await mails_to(smtp_server, "one@example.com", 2))  # and a receipt
    assert decision["To"] == "one@example.com"
    assert decision["Subject"].startswith("Decision on your report")
    text = decision.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "stays published" in text and "Criticism of a public figure" in text
    history = await client.get(f"/v1/comments/{comment_id}", headers=site.auth())
    actions = [h["action"] for h in (await history.json())["history"]]
    assert actions == ["approve", "hide_reported", "keep_reported"]


async def test_remove_takes_the_comment_down_and_tells_the_notifiers(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await client.patch(
        f"/v1/sites/{site.slug}/settings",
        json={"report_threshold": 1, "language": "ar"},
        headers=site.auth(site.admin),
    )
    comment_id = await published(client, site)
    await report(client, comment_id, 1, reporter_email="huda@example.com", reporter_name="هدى")
    missing_reason = await client.post(
        f"/v1/comments/{comment_id}/reports/resolve", json={"action": "remove"}, headers=site.auth()
    )
    assert missing_reason.status == 422
    assert [e["field"] for e in (await missing_reason.json())["errors"]] == ["reason"]
    response = await client.post(
        f"/v1/comments/{comment_id}/reports/resolve",
        json={"action": "remove", "reason": "harassment", "explanation": "تحرّش بشخص مسمّى"},
        headers=site.auth(),
    )
    assert response.status == 200, await response.text()
    answer = await response.json()
    assert answer["comment"]["status"] == "rejected" and answer["reason"] == "harassment"
    assert comment_id not in await _thread_ids(client, site)
    again = await client.post(
        f"/v1/comments/{comment_id}/reports/resolve",
        json={"action": "remove", "reason": "spam"},
        headers=site.auth(),
    )
    assert again.status == 409
    # The comment is no longer published: reporting it now looks like a missing comment.
    await report(client, comment_id, 5, status=404)
    decision = the_decision(await mails_to(smtp_server, "huda@example.com", 2))
    text = decision.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "حُذف التعليق (harassment)" in text and "تحرّش بشخص مسمّى" in text
    history = await client.get(f"/v1/comments/{comment_id}", headers=site.auth())
    entries = (await history.json())["history"]
    assert [(h["action"], h["to_status"]) for h in entries][-1] == ("remove_reported", "rejected")


async def test_moderators_of_another_site_see_nothing(
    client: TestClient, site: SiteFixture, other_site: SiteFixture
) -> None:
    comment_id = await published(client, site)
    await report(client, comment_id, category="illegal_content", good_faith=True)
    theirs = await client.post(
        f"/v1/comments/{comment_id}/reports/resolve",
        json={"action": "keep"},
        headers=other_site.auth(),
    )
    assert theirs.status == 404
    other = await client.get(f"/v1/sites/{site.slug}/reports", headers=other_site.auth())
    assert other.status == 404
    anonymous = await client.get(f"/v1/sites/{site.slug}/reports")
    assert anonymous.status == 401


async def test_the_list_pages_oldest_first(client: TestClient, site: SiteFixture) -> None:
    ids = []
    for n in range(3):
        comment_id = await published(client, site, body=f"Comment number {n} / تعليق {n}")
        await report(client, comment_id, n, category="illegal_content", good_faith=True)
        ids.append(comment_id)
    first = await listing(client, site, "?limit=2")
    assert [i["comment"]["id"] for i in first["items"]] == ids[:2]
    second = await listing(client, site, f"?limit=2&cursor={first['next_cursor']}")
    assert [i["comment"]["id"] for i in second["items"]] == ids[2:]
    assert second["next_cursor"] is None


async def test_a_plain_form_and_the_honeypot(client: TestClient, site: SiteFixture) -> None:
    comment_id = await published(client, site)
    response = await client.post(
        f"/v1/comments/{comment_id}/reports",
        data={"category": "illegal_content", "explanation": "تهديد بالقتل", "good_faith": "on"},
        headers=reader(1),
    )
    assert response.status == 202, await response.text()
    bot = await client.post(
        f"/v1/comments/{comment_id}/reports",
        data={"category": "spam", "url": "http://spam.example"},
        headers=reader(2),
    )
    assert bot.status == 202 and (await bot.json())["status"] == "open"
    [item] = (await listing(client, site))["items"]
    assert item["reports"] == 1 and item["categories"] == ["illegal_content"]


async def test_a_flood_of_reports_is_refused(client: TestClient) -> None:
    strict = await make_site(client, "strict", origins=["https://strict.example"])
    await client.patch(
        "/v1/sites/strict/settings",
        json={"flood_seconds": 60},
        headers=strict.auth(strict.admin),
    )
    comment_id = await published(client, strict)
    await report(client, comment_id, 1)
    refused = await client.post(
        f"/v1/comments/{comment_id}/reports", json={"category": "spam"}, headers=reader(1)
    )
    assert refused.status == 429 and "Retry-After" in refused.headers


async def test_the_widget_may_report_from_the_sites_origin(
    client: TestClient, site: SiteFixture
) -> None:
    comment_id = await published(client, site)
    path = f"/v1/comments/{comment_id}/reports"
    preflight = await client.options(path, headers={"Origin": "https://daily.example"})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://daily.example"
    response = await client.post(
        path, json={"category": "spam"}, headers={"Origin": "https://daily.example"}
    )
    assert response.status == 202
    assert response.headers["Access-Control-Allow-Origin"] == "https://daily.example"
    stranger = await client.post(
        path, json={"category": "spam"}, headers={"Origin": "https://evil.example", **reader(4)}
    )
    assert stranger.status == 202 and "Access-Control-Allow-Origin" not in stranger.headers


def _no_personal_data(data: Any) -> None:
    text = str(data)
    assert "@" not in text and "Layla" not in text and "ليلى" not in text


async def test_transparency_counts_notices_decisions_and_own_initiative(
    client: TestClient, site: SiteFixture
) -> None:
    await client.patch(
        f"/v1/sites/{site.slug}/settings",
        json={"report_threshold": 1, "banned_terms": ["غبي"]},
        headers=site.auth(site.admin),
    )
    kept = await published(client, site)
    removed = await published(client, site, body="Another comment / تعليق آخر")
    open_one = await published(client, site, body="A third comment / تعليق ثالث")
    await report(client, kept, 1, reporter_email="layla@example.com", reporter_name="Layla")
    await report(client, removed, 2, category="hate_speech", reporter_name="ليلى")
    await report(client, open_one, 3, category="spam")
    await client.post(
        f"/v1/comments/{kept}/reports/resolve", json={"action": "keep"}, headers=site.auth()
    )
    await client.post(
        f"/v1/comments/{removed}/reports/resolve",
        json={"action": "remove", "reason": "hate_speech"},
        headers=site.auth(),
    )
    await post_comment(client, site, body="أنت غبي")  # rejected by the word rule
    own = (await post_comment(client, site, body="Buy now"))["id"]
    await client.post(f"/v1/comments/{own}/reject", json={"reason": "spam"}, headers=site.auth())

    path = f"/v1/sites/{site.slug}/transparency"
    assert (await client.get(path, headers=site.auth())).status == 403  # admins only
    response = await client.get(path, headers=site.auth(site.admin))
    assert response.status == 200, await response.text()
    answer = await response.json()
    _no_personal_data(answer)
    assert answer["notices"]["total"] == 3
    assert answer["notices"]["by_category_and_outcome"] == [
        {"category": "harassment", "outcome": "keep", "count": 1},
        {"category": "hate_speech", "outcome": "remove", "count": 1},
        {"category": "spam", "outcome": "pending", "count": 1},
    ]
    assert answer["notice_decisions"]["decided"] == 2
    assert answer["notice_decisions"]["median_seconds_to_decision"] >= 0
    assert answer["own_initiative_decisions"]["by_reason_and_detection"] == [
        {"reason": "banned_term", "detection": "word_rule", "count": 1},
        {"reason": "spam", "detection": "moderator", "count": 1},
    ]
    empty = await client.get(
        path, params={"from": "2001-01-01", "to": "2001-12-31"}, headers=site.auth(site.admin)
    )
    assert (await empty.json())["notices"]["total"] == 0
    for bad in ({"from": "yesterday"}, {"to": "2001-01-01T00:00:00"}, {"from": "9" * 5000}):
        wrong = await client.get(path, params=bad, headers=site.auth(site.admin))
        assert wrong.status == 422, bad
        assert [e["field"] for e in (await wrong.json())["errors"]] == list(bad)


async def test_without_javascript_the_form_is_a_page_in_the_sites_language(
    client: TestClient, site: SiteFixture
) -> None:
    await client.patch(
        f"/v1/sites/{site.slug}/settings", json={"language": "ar"}, headers=site.auth(site.admin)
    )
    comment_id = await published(client, site)
    path = f"/report/{site.slug}/{comment_id}"
    form = await client.get(path)
    assert form.status == 200 and form.content_type == "text/html"
    page = await form.text()
    assert 'lang="ar" dir="rtl"' in page and "الإبلاغ عن تعليق" in page
    assert 'name="good_faith"' in page and "عنف أو تهديد" in page
    sent = await client.post(
        path,
        data={"category": "violence_or_threat", "explanation": "تهديد صريح", "url": ""},
        headers={"Accept": "text/html", **reader(1)},
    )
    assert sent.status == 202 and "R-" in await sent.text()
    [item] = (await listing(client, site, "?status=open"))["items"] or [None]
    assert item is None  # one reporter, under the threshold
    missing = await client.post(
        path, data={"category": "illegal_content"}, headers={"Accept": "text/html", **reader(2)}
    )
    assert missing.status == 422 and missing.content_type == "text/html"
    pending = (await post_comment(client, site, body="لم يُنشر بعد"))["id"]
    hidden = await client.get(f"/report/{site.slug}/{pending}", headers={"Accept": "text/html"})
    assert hidden.status == 404
    elsewhere = await client.get(f"/report/weekly/{comment_id}")
    assert elsewhere.status == 404
