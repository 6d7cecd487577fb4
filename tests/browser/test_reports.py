"""Reporting a published comment from the widget, in a real browser, in Arabic and English: the
small form in the shadow root, its field errors, and the reference it answers with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import WATCH_CSP, Live
from tests.browser.test_pages import ITEM, WIDGET, approve_via_api, post_via_api, signed_in_console


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
    await (
        panel.locator(f"#mc-r{created['id']}-explanation-e").filter(has_text="required").wait_for()
    )
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


async def test_the_console_reports_tab_keeps_and_removes_with_the_keyboard(
    browser: Any, live: Live, docs: Path
) -> None:
    seed = await browser.new_context()
    page = await seed.new_page()
    settings = await page.request.patch(
        live.url("/v1/sites/demo/settings"),
        data={"report_threshold": 1},
        headers={"Authorization": f"Bearer {live.admin}"},
    )
    assert settings.status == 200
    ids = []
    for body, category, explanation in (
        (
            "Ils sont tous des voleurs — all of them thieves",
            "illegal_content",
            "Defames a named official",
        ),
        ("سأعرف أين تسكن", "violence_or_threat", "تهديد صريح لكاتب المقال"),
    ):
        created = await post_via_api(live, page, name="Sam", email="sam@example.com", body=body)
        await approve_via_api(live, page, created["id"])
        response = await page.request.post(
            live.url(f"/v1/comments/{created['id']}/reports"),
            data={
                "category": category,
                "explanation": explanation,
                "good_faith": True,
                "reporter_email": "layla@example.com",
            },
        )
        assert response.status == 202
        ids.append(created["id"])

    console = await signed_in_console(browser, live)
    await console.locator('#tabs button[data-status="reports"]').click()
    items = console.locator(ITEM)
    await items.nth(1).wait_for()
    first = console.locator(f'{ITEM}[data-id="{ids[0]}"]')
    assert "illegal content" in await first.locator(".reported").inner_text()
    assert "layla@example.com" in await first.inner_text()
    await console.screenshot(path=str(docs / "console-reports-en.png"))
    await console.locator("#language").click()
    second = console.locator(f'{ITEM}[data-id="{ids[1]}"]')
    await second.locator(".reported").filter(has_text="عنف أو تهديد").wait_for()
    await console.screenshot(path=str(docs / "console-reports-ar.png"))

    await first.click()
    await console.keyboard.press("k")  # keep
    await first.wait_for(state="detached")
    await second.click()
    await console.keyboard.press("r")  # remove, with a reason
    await console.locator("#reject-dialog").wait_for()
    await console.locator("#reason").select_option("harassment")
    await console.locator("#reject-dialog button[value=ok]").click()
    await second.wait_for(state="detached")
    statuses = [
        (
            await page.request.get(
                live.url(f"/v1/comments/{i}"), headers={"Authorization": f"Bearer {live.moderator}"}
            )
        ).status
        for i in ids
    ]
    assert statuses == [200, 200]
    rows = await live.pool.fetch("SELECT action FROM report_cases ORDER BY resolved_at")
    assert [r["action"] for r in rows] == ["keep", "remove"]
