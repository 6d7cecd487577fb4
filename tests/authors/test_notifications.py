"""Notifications (opt-in, one click out) and the author's own page, through HTTP and a real SMTP
server: approved and reply mails to verified authors who asked, RFC 8058 unsubscribe, and the
page every mail links to (their comments, as a page and as JSON)."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from moderation.db import POOL
from tests.authors.conftest import ARTICLE, link_in, mail_kinds, set_settings, text_of
from tests.conftest import SiteFixture, approve, post_comment
from tests.mail.conftest import Arrived, MailServer


async def verified(
    client: TestClient, site: SiteFixture, smtp_server: MailServer, **overrides: Any
) -> dict[str, Any]:
    before = len(smtp_server.arrived)
    posted = await post_comment(client, site, page_url=ARTICLE, **overrides)
    arrived = await smtp_server.wait_for(before + 1)
    assert (await client.post(link_in(arrived[-1], "confirm"), allow_redirects=False)).status == 303
    return posted


async def next_mail(smtp_server: MailServer, count: int) -> Arrived:
    return (await smtp_server.wait_for(count))[count - 1]


async def test_approved_and_reply_mails_reach_verified_authors_who_asked_until_they_unsubscribe(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(client, site, language="ar")
    sara = await verified(client, site, smtp_server, notify=True, body="رأيي في المقال")
    await approve(client, site, sara["id"])
    approved = await next_mail(smtp_server, 2)
    assert str(approved.message["Subject"]) == "نُشر تعليقك على Daily"
    assert f"{ARTICLE}#comment-{sara['id']}" in text_of(approved)
    assert approved.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = approved.message["List-Unsubscribe"].strip("<>")

    # Omar replies; Sara hears only once the reply is approved, and not of a rejected one.
    omar = await post_comment(
        client, site, email="omar@example.com", name="عمر", parent_id=sara["id"], body="أوافقك"
    )
    rejected_reply = await post_comment(
        client, site, email="omar@example.com", name="عمر", parent_id=sara["id"], body="لا"
    )
    omar_confirm = await next_mail(smtp_server, 3)
    assert omar_confirm.recipients == ("omar@example.com",)
    response = await client.post(
        f"/v1/comments/{rejected_reply['id']}/reject", json={"reason": "spam"}, headers=site.auth()
    )
    assert response.status == 200
    assert await mail_kinds(client) == ["confirm", "approved", "confirm"]
    await approve(client, site, omar["id"])
    reply = await next_mail(smtp_server, 4)
    assert reply.recipients == ("sara@example.com",)
    assert str(reply.message["Subject"]) == "ردّ عمر على تعليقك على Daily"
    assert "أوافقك" in text_of(reply) and "omar@example.com" not in reply.raw.decode()

    # One click (RFC 8058): the mail client POSTs the List-Unsubscribe URL.
    path = "/" + unsubscribe.split("/", 3)[3]
    page = await client.get(path)
    assert page.status == 200 and '<form method="post">' in await page.text()
    done = await client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status == 200
    second = await post_comment(client, site, notify=True, body="تعليق آخر")
    await approve(client, site, second["id"])
    assert await mail_kinds(client) == ["confirm", "approved", "confirm", "reply"]


async def test_no_notification_without_opting_in_or_without_a_verified_address(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    quiet = await verified(client, site, smtp_server, body="no thanks")
    await approve(client, site, quiet["id"])
    stranger = await post_comment(client, site, email="omar@example.com", notify=True, body="hi")
    await approve(client, site, stranger["id"])
    assert await mail_kinds(client) == ["confirm", "confirm"]  # the links, nothing else


async def test_every_mail_links_to_the_authors_own_comments_as_a_page_and_as_json(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    first = await post_comment(client, site, page_url=ARTICLE, body="First <i>one</i>")
    [arrived] = await smtp_server.wait_for(1)
    await post_comment(client, site, body="Second")
    await post_comment(client, site, email="omar@example.com", body="Not Sara's")
    await approve(client, site, first["id"])
    path = link_in(arrived, "me")
    page = await client.get(path)
    assert page.status == 200
    text = await page.text()
    assert "First <i>one</i>" in text and "Second" in text and "Not Sara" not in text
    assert "published" in text and "awaiting moderation" in text
    download = await client.get(path + "/comments.json")
    assert download.status == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    body = await download.json()
    assert [c["body_text"] for c in body["comments"]] == ["Second", "First <i>one</i>"]
    assert [c["status"] for c in body["comments"]] == ["pending", "approved"]
    assert "@" not in str(body)
    assert (await client.get(path[:-3] + "AAA")).status == 404
    assert (await client.get(path[:-3] + "AAA/comments.json")).status == 404
    assert await client.app[POOL].fetchval("SELECT count(*) FROM comments") == 3
