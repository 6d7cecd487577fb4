"""The authors' loop in a real Chromium, in development mode (mails kept for /dev/mail): post on
the Arabic demo article, open the confirmation mail in /dev/mail, confirm (back to the article,
the token kept by the widget), get a statement of reasons when rejected, and appeal it. Takes the
README's screenshots of /dev/mail and of an Arabic statement of reasons."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from moderation import service
from moderation.app import create_app
from moderation.db import POOL
from moderation.domain import Language, Role, SiteSettings, StatementPolicy
from tests.browser.conftest import Live
from tests.browser.test_pages import signed_in_console
from tests.conftest import make_settings
from tests.mail.conftest import free_port
from tests.support import eventually

WIDGET = ".moderation-comments"


async def live_with_mail(aiohttp_server: Any, database_url: str, tmp_path: Path) -> Live:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(
        database_url,
        development=True,
        data_dir=tmp_path,
        mail_workers=True,
        public_base_url=base,
    )
    app = create_app(settings)
    await aiohttp_server(app, host="127.0.0.1", port=port)
    pool = app[POOL]
    site = await service.admin.create_site(pool, "demo", "أخبار التجربة", [base])
    await service.admin.save_settings(
        pool,
        site,
        SiteSettings(
            flood_seconds=0,
            hourly_limit=0,
            language=Language.AR,
            statement_of_reasons=StatementPolicy.ALL,
            terms_url="https://news.example/terms",
            public_url="https://news.example/",
        ),
    )
    _, moderator = await service.admin.create_token(pool, "demo", Role.MODERATOR)
    _, admin = await service.admin.create_token(pool, "demo", Role.ADMIN)
    # The console's demo sign-in uses another moderator: appeals go to someone else.
    _, colleague = await service.admin.create_token(pool, "demo", Role.MODERATOR)
    (tmp_path / "demo-tokens").write_text(f"{colleague}\n{admin}\n", encoding="ascii")
    return Live(base, moderator, admin, pool)


async def kept(live: Live, kind: str) -> tuple[int, int]:
    """The (site id, mail id) of the newest mail of `kind`, once the sender has kept it."""

    async def newest() -> Any:
        return await live.pool.fetchrow(
            """SELECT site_id, id FROM mail_outbox WHERE kind = $1 AND status = 'kept'
                ORDER BY id DESC LIMIT 1""",
            kind,
        )

    row = await eventually(newest, 10, message=f"no {kind} mail was kept")
    return row["site_id"], row["id"]


async def test_confirm_from_dev_mail_then_a_statement_of_reasons_and_an_appeal_in_arabic(
    browser: Any,
    aiohttp_server: Any,
    database_url: str,
    clean_database: None,
    tmp_path: Path,
    docs: Path,
) -> None:
    live = await live_with_mail(aiohttp_server, database_url, tmp_path)
    reader = await browser.new_context(viewport={"width": 900, "height": 1200})
    article = await reader.new_page()
    await article.goto(live.url("/demo/"))
    form = article.locator(f"{WIDGET} form")
    await form.locator("#mc-name").fill("ليلى")
    await form.locator("#mc-email").fill("laila@example.com")
    await form.locator("#mc-body").fill("الحديقة فكرة رائعة، لكن من يدفع ثمن الماء في الصيف؟")
    await form.locator("#mc-notify").check()
    await form.locator("button[type=submit]").click()
    await article.locator(f"{WIDGET} [role=status]").filter(has_text="بانتظار المراجعة").wait_for()

    # The mail, in the development mailbox; its confirmation link, followed in the browser.
    site_id, mail_id = await kept(live, "confirm")
    mailbox = await reader.new_page()
    await mailbox.goto(live.url(f"/dev/mail/{site_id}/{mail_id}"))
    link = mailbox.locator("pre a").filter(has_text="/confirm/")
    confirm_url = await link.get_attribute("href")
    assert confirm_url is not None and confirm_url.startswith(live.url("/authors/demo/confirm/"))
    await link.click()
    await mailbox.locator("h1").filter(has_text="تأكيد عنوان بريدك").wait_for()
    await mailbox.locator("button[type=submit]").click()
    await mailbox.wait_for_url(re.compile(r".*/demo/$"))
    await mailbox.locator(f"{WIDGET} [role=status]").filter(has_text="تم تأكيد").wait_for()
    assert "moderation-author-token" not in mailbox.url
    stored = await mailbox.evaluate(
        "() => Object.keys(localStorage).filter(k => k.endsWith(':author-token')).length"
    )
    assert stored == 1

    # A moderator rejects it with an explanation for the author: a statement of reasons.
    comment_id = await live.pool.fetchval("SELECT id FROM comments ORDER BY id DESC LIMIT 1")
    response = await mailbox.request.post(
        live.url(f"/v1/comments/{comment_id}/reject"),
        headers={"Authorization": f"Bearer {live.moderator}"},
        data={"reason": "off_topic", "explanation": "التعليق لا يناقش موضوع المقال."},
    )
    assert response.status == 200
    site_id, statement_id = await kept(live, "statement")
    await mailbox.goto(live.url("/dev/mail"))
    await mailbox.locator("td").filter(has_text="statement").wait_for()
    await mailbox.set_viewport_size({"width": 900, "height": 260})
    await mailbox.screenshot(path=str(docs / "dev-mail.png"))
    rendered = await reader.new_page()
    await rendered.set_viewport_size({"width": 720, "height": 740})
    await rendered.goto(live.url(f"/dev/mail/{site_id}/{statement_id}/html"))
    assert await rendered.locator("html").get_attribute("dir") == "rtl"
    await rendered.locator("text=التعليق لا يناقش موضوع المقال.").wait_for()
    await rendered.screenshot(path=str(docs / "statement-of-reasons-ar.png"), full_page=True)

    # The appeal button of the mail, then the form.
    appeal = rendered.locator("a").filter(has_text="الاعتراض على القرار")
    href = await appeal.get_attribute("href")
    assert href is not None
    await rendered.goto(href)
    await rendered.locator("textarea[name=text]").fill(
        "التعليق يسأل عن كلفة الماء التي يذكرها المقال."
    )
    await rendered.locator("button[type=submit]").click()
    await rendered.locator("h1").filter(has_text="تم استلام الاعتراض").wait_for()
    assert await live.pool.fetchval("SELECT count(*) FROM appeals") == 1

    # Another moderator reverses it from the console's Appeals tab.
    console = await signed_in_console(browser, live)
    await console.locator('#tabs [data-status="appeals"]').click()
    item = console.locator("#queue > li.item").filter(has_text="يسأل عن كلفة الماء")
    await item.wait_for()
    assert await item.locator(".verified").count() == 0  # posted before the address was proven
    await console.screenshot(path=str(docs / "console-appeals.png"))
    await item.locator("button.approve").click()
    await item.wait_for(state="detached")
    status = await live.pool.fetchval("SELECT status FROM comments WHERE id = $1", comment_id)
    assert status == "approved"
    await kept(live, "appeal_decided")
