"""The report form without JavaScript: `GET /report/{site}/{comment_id}` serves it as a page of
the service, in the site's language, and its post answers with a page (the reference)."""

from __future__ import annotations

import functools
import html

from aiohttp import web

from .. import service
from ..config import SETTINGS
from ..db import POOL
from ..domain import Language, ReportCategory, Site
from ..errors import NotFound
from ..logs import REQUEST_ID
from ..mail.texts import REPORT_WORDS
from ..ratelimit.refusals import REFUSALS
from ..schemas import HONEYPOT_FIELD, ReportInput, parse_report, read_payload
from ..threadcache import THREADS
from .authors import _page as site_page
from .authors import page
from .parsing import client_of, comment_id_of

routes = web.RouteTableDef()
PATH = "/report/{site}/{comment_id}"

WORDS = {
    Language.EN: {
        "title": "Report a comment",
        "intro": "Tell the site what is wrong with this comment. A moderator will look at it.",
        "category": "What is wrong?",
        "explanation": "Explain why (required for illegal content)",
        "legal_ground": "Which law does it break? (illegal content, optional)",
        "name": "Your name (optional)",
        "email": "Your email, for the receipt and the decision (optional)",
        "good_faith": "I believe in good faith that this notice is accurate and complete "
        "(required for illegal content).",
        "send": "Send the report",
        "thanks": "Thank you. Your report was received; its reference is",
    },
    Language.AR: {
        "title": "الإبلاغ عن تعليق",
        "intro": "أخبر الموقع بما يخالف في هذا التعليق، وسينظر فيه أحد المشرفين.",
        "category": "ما المشكلة؟",
        "explanation": "اشرح السبب (مطلوب للمحتوى غير القانوني)",
        "legal_ground": "أي قانون يخالف؟ (للمحتوى غير القانوني، اختياري)",
        "name": "اسمك (اختياري)",
        "email": "بريدك الإلكتروني لإيصال الاستلام والقرار (اختياري)",
        "good_faith": "أقرّ بحسن نية بأن هذا البلاغ دقيق وكامل (مطلوب للمحتوى غير القانوني).",
        "send": "إرسال البلاغ",
        "thanks": "شكراً لك. تلقّينا بلاغك، ورقمه المرجعي",
    },
}


async def _reportable(request: web.Request, site: Site) -> int:
    comment_id = comment_id_of(request)
    if await service.reports.reportable_site(request.app[POOL], comment_id) != site.slug:
        raise NotFound("no such comment")
    return comment_id


def _form(site: Site) -> str:
    words = WORDS[site.settings.language]
    labels = REPORT_WORDS[site.settings.language]
    options = "".join(
        f'<option value="{c.value}">{html.escape(labels[c.value])}</option>' for c in ReportCategory
    )

    def field(name: str, label: str, kind: str = "text") -> str:
        return (
            f'<p><label>{html.escape(label)}<br><input name="{name}" type="{kind}" '
            'dir="auto"></label></p>'
        )

    return (
        f'<p>{html.escape(words["intro"])}</p>\n<form method="post">'
        f'<p><label>{html.escape(words["category"])}<br><select name="category">{options}'
        "</select></label></p>"
        f'<p><label>{html.escape(words["explanation"])}<br><textarea name="explanation" '
        'maxlength="2000" dir="auto"></textarea></label></p>'
        + field("legal_ground", words["legal_ground"])
        + field("reporter_name", words["name"])
        + field("reporter_email", words["email"], "email")
        + f'<p><label><input type="checkbox" name="good_faith" value="on"> '
        f"{html.escape(words['good_faith'])}</label></p>"
        f'<p style="display:none"><input name="{HONEYPOT_FIELD}" tabindex="-1" '
        'autocomplete="off"></p>'
        f'<p><button type="submit">{html.escape(words["send"])}</button></p></form>'
    )


@routes.get(PATH)
@page
async def report_page(request: web.Request, site: Site) -> web.Response:
    await _reportable(request, site)
    return site_page(site, WORDS[site.settings.language]["title"], _form(site))


async def _read(request: web.Request) -> ReportInput:
    return parse_report(await read_payload(request, allow_form=True))


@routes.post(PATH)
@page
async def report_submit(request: web.Request, site: Site) -> web.Response:
    comment_id = await _reportable(request, site)
    filed = await service.reports.file_report(
        request.app[POOL],
        request.app[SETTINGS],
        site,
        comment_id,
        functools.partial(_read, request),
        refusals=request.app[REFUSALS],
        threads=request.app[THREADS],
        client_ip=client_of(request),
        request_id=request[REQUEST_ID],
    )
    words = WORDS[site.settings.language]
    body = (
        f"<p>{html.escape(words['thanks'])} "
        f"<bdi><strong>{html.escape(filed.report.reference)}</strong></bdi>.</p>"
    )
    return site_page(site, words["title"], body, status=202)
