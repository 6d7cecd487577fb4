"""Reporting a published comment from the widget, in a real browser, in Arabic and English: the
small form in the shadow root, its field errors, and the reference it answers with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import WATCH_CSP, Live
from tests.browser.test_pages import WIDGET, approve_via_api, post_via_api


async def _report_from(browser: Any, live: Live, path: str, docs: Path, shot: str) -> str:
    reader = await browser.new_context(viewport={"width": 900, "height": 1300})
    article = await reader.new_page()
    created = await post_via_api(
        live, article, name="Sam", email="sam@example.com", body="You are all idiots / كلكم أغبياء"
    )
    await approve_via_api(live, article, created["id"])
    await article.add_init_script(WATCH_CSP)
    await article.goto(live.url(path))
    item = article.locator(f"{WIDGET} #comment-{created['id']}")
    await item.locator("button.f").click()
    panel = item.locator("form.rp")
    await panel.locator("select").select_option("illegal_content")
    assert await panel.locator("label.k").is_visible()  # good faith, only for illegal content
    await panel.locator("button[type=submit]").click()
    explanation = panel.locator(f"#mc-r{created['id']}-explanation")
    await panel.locator(f"#mc-r{created['id']}-explanation-e").filter(has_text="required").wait_for()
    assert await explanation.get_attribute("aria-invalid") == "true"
    await explanation.fill("تهديد لأشخاص بعينهم / a threat against named people")
    await panel.locator("label.k input").check()
    await panel.locator("button[type=submit]").click()
    status = panel.locator("[role=status]")
    await status.filter(has_text="R-").wait_for()
    await article.screenshot(path=str(docs / shot), full_page=True)
    assert await article.evaluate("window.__violations") == []
    text: str = await status.inner_text()
    await reader.close()
    return text


async def test_a_reader_reports_a_comment_from_the_arabic_widget(
    browser: Any, live: Live, docs: Path
) -> None:
    text = await _report_from(browser, live, "/demo/", docs, "report-form-ar.png")
    assert text.startswith("شكرًا لك. تلقّينا بلاغك")


async def test_a_reader_reports_a_comment_from_the_english_widget(
    browser: Any, live: Live, docs: Path
) -> None:
    text = await _report_from(browser, live, "/demo/en", docs, "report-form-en.png")
    assert text.startswith("Thank you. Your report was received")
