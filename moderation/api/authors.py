"""Authors' pages (reached from links in mails) and their JSON twins: confirm an address,
appeal a decision, unsubscribe, and see one's own comments. A `GET` never changes anything (mail
scanners fetch links); a bad, used or expired link gets a clear page with 404, 409 or 410 (a
browser, asking for HTML) or the same status as problem+json (any other client)."""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from ..auth import require_site
from ..config import SETTINGS
from ..db import POOL
from ..directory import SITES
from ..domain import EraseMode, Language, LinkState, Role, Site
from ..errors import Invalid, NotFound, Problem
from ..schemas import Fields, _bounded, _string, one_of, parse_email, read_payload
from ..service import authors, subjects
from ..text.hygiene import clean_body
from ..threadcache import THREADS
from ..views import json_response, own_comment_view

routes = web.RouteTableDef()
APPEAL_MAX = 2000
BASE = "/authors/{site}"

WORDS: dict[Language, dict[str, str]] = {
    Language.EN: {
        "confirm_title": "Confirm your address",
        "confirm_text": "Press the button to confirm that this address is yours. Your browser "
        "then keeps a key that proves your later comments on this site are yours.",
        "confirm_button": "Confirm my address",
        "confirmed_title": "Address confirmed",
        "confirmed_text": "Thank you: your address is confirmed for this site.",
        "appeal_title": "Appeal a decision",
        "appeal_text": "Say why the decision on your comment should be reviewed (at most 2,000 "
        "characters). Another moderator than the one who decided will read it.",
        "appeal_button": "Send my appeal",
        "appealed_title": "Appeal received",
        "appealed_text": "Your appeal was received. You will get the outcome by mail.",
        "unsubscribe_title": "Unsubscribe",
        "unsubscribe_text": "Stop all notification mails from this site to this address.",
        "unsubscribe_button": "Unsubscribe",
        "unsubscribed_title": "Unsubscribed",
        "unsubscribed_text": "You will get no more notification mails from this site.",
        "own_title": "Your comments",
        "own_download": "Download them as JSON",
        "own_none": "No comments.",
        "erase_link": "Erase my data from this site",
        "erase_title": "Erase your data",
        "erase_text": "Choose what to erase. Your name, address, website and IP address are "
        "removed from every comment, and the site forgets your address (confirmation, "
        "notifications, mails). This cannot be undone.",
        "erase_anonymize": "Keep my comments' text, shown under “Deleted author”",
        "erase_delete": "Remove my comments' text too (replies stay, under “Comment removed”)",
        "erase_button": "Erase my data",
        "erased_title": "Your data was erased",
        "erased_text": "Your data on this site was erased. Links in earlier mails no longer "
        "show anything.",
        "statuses": "unverified:waiting for your confirmation,pending:awaiting moderation,"
        "approved:published,rejected:not published",
        "not-found": "This link is not valid. Check that it was copied whole.",
        "link-used": "This link was used already; it works only once.",
        "link-expired": "This link has expired.",
        "already-appealed": "This decision was appealed already; each decision can be appealed "
        "once.",
        "invalid": "Please check what you wrote.",
        "problem_title": "This link cannot be used",
    },
    Language.AR: {
        "confirm_title": "تأكيد عنوان بريدك",
        "confirm_text": "اضغط الزر لتأكيد أن هذا العنوان لك. يحتفظ متصفحك بعدها بمفتاح يثبت أن "
        "تعليقاتك اللاحقة على هذا الموقع منك.",
        "confirm_button": "تأكيد عنواني",
        "confirmed_title": "تم تأكيد العنوان",
        "confirmed_text": "شكراً لك: تم تأكيد عنوانك لهذا الموقع.",
        "appeal_title": "الاعتراض على قرار",
        "appeal_text": "اذكر لماذا ينبغي مراجعة القرار بشأن تعليقك (2000 حرف على الأكثر). "
        "سيقرؤه مشرف غير الذي اتخذ القرار.",
        "appeal_button": "إرسال الاعتراض",
        "appealed_title": "تم استلام الاعتراض",
        "appealed_text": "استلمنا اعتراضك، وستصلك النتيجة بالبريد.",
        "unsubscribe_title": "إلغاء الاشتراك",
        "unsubscribe_text": "إيقاف كل رسائل التنبيه من هذا الموقع إلى هذا العنوان.",
        "unsubscribe_button": "إلغاء الاشتراك",
        "unsubscribed_title": "تم إلغاء الاشتراك",
        "unsubscribed_text": "لن تصلك بعد الآن رسائل تنبيه من هذا الموقع.",
        "own_title": "تعليقاتك",
        "own_download": "تنزيلها بصيغة JSON",
        "own_none": "لا تعليقات.",
        "erase_link": "محو بياناتي من هذا الموقع",
        "erase_title": "محو بياناتك",
        "erase_text": "اختر ما تريد محوه. يُزال اسمك وعنوان بريدك وموقعك وعنوان IP من كل "
        "تعليقاتك، وينسى الموقع عنوانك (التأكيد والتنبيهات والرسائل). لا يمكن التراجع عن ذلك.",
        "erase_anonymize": "أبقِ نص تعليقاتي، باسم «كاتب محذوف»",
        "erase_delete": "احذف نص تعليقاتي أيضاً (تبقى الردود تحت «تعليق محذوف»)",
        "erase_button": "محو بياناتي",
        "erased_title": "تم محو بياناتك",
        "erased_text": "تم محو بياناتك على هذا الموقع. لم تعد الروابط في الرسائل السابقة "
        "تعرض شيئاً.",
        "statuses": "unverified:بانتظار تأكيدك,pending:بانتظار الإشراف,approved:منشور,"
        "rejected:غير منشور",
        "not-found": "هذا الرابط غير صالح. تأكد من نسخه كاملاً.",
        "link-used": "استُخدم هذا الرابط من قبل؛ فهو يعمل مرة واحدة فقط.",
        "link-expired": "انتهت صلاحية هذا الرابط.",
        "already-appealed": "سبق الاعتراض على هذا القرار؛ ويمكن الاعتراض على كل قرار مرة واحدة.",
        "invalid": "يرجى مراجعة ما كتبت.",
        "problem_title": "لا يمكن استخدام هذا الرابط",
    },
}


def _headers(site: Site) -> dict[str, str]:
    # Links carry their secret in the path: never sent on as a Referer, never framed or cached.
    return {
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
        f"form-action 'self' {' '.join(site.origins)}; frame-ancestors 'none'; base-uri 'none'",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }


def _words(site: Site) -> dict[str, str]:
    return WORDS[site.settings.language]


def _page(site: Site, title: str, body: str, status: int = 200) -> web.Response:
    language = site.settings.language
    document = (
        f'<!DOCTYPE html>\n<html lang="{language.value}" dir="{language.direction}">'
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{html.escape(title)}</title>'
        "<style>body{font-family:system-ui,Tahoma,sans-serif;max-width:40rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.7}textarea{width:100%;min-height:10rem}"
        "button{font-size:1rem;padding:.5rem 1.25rem}li{margin-bottom:1rem}</style></head>\n"
        f"<body><p><bdi>{html.escape(site.name)}</bdi></p><h1>{html.escape(title)}</h1>\n"
        f"{body}\n</body></html>\n"
    )
    return web.Response(
        text=document, content_type="text/html", status=status, headers=_headers(site)
    )


def _problem_page(site: Site, problem: Problem) -> web.Response:
    words = _words(site)
    message = words.get(problem.slug, problem.detail or problem.title)
    title = words["problem_title"] if problem.status in (404, 409, 410) else problem.title
    return _page(site, title, f"<p>{html.escape(message)}</p>", problem.status)


def _form(words: dict[str, str], text_key: str, button_key: str, extra: str = "") -> str:
    return (
        f'<p>{html.escape(words[text_key])}</p>\n<form method="post">{extra}'
        f'<p><button type="submit">{html.escape(words[button_key])}</button></p></form>'
    )


Page = Callable[[web.Request, Site], Awaitable[web.Response]]


def page(handler: Page) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A page of a site; any problem becomes a page in the site's language, same status."""

    async def wrapped(request: web.Request) -> web.Response:
        site = await request.app[SITES].get(request.match_info["site"])
        try:
            return await handler(request, site)
        except Problem as problem:
            if not _wants_html(request):
                raise  # a program asking: the usual problem+json, same status
            return _problem_page(site, problem)

    return wrapped


def _wants_html(request: web.Request) -> bool:
    """A browser (following a link in a mail) asks for HTML; a program gets problem+json."""
    return "text/html" in request.headers.get("Accept", "")


def parse_appeal_text(value: Any) -> str:
    return _bounded(clean_body(_string(value)), 1, APPEAL_MAX)


# Confirming an address -------------------------------------------------------------------


@routes.get(BASE + "/confirm/{token}")
@page
async def confirm_page(request: web.Request, site: Site) -> web.Response:
    state = await authors.confirmation_state(request.app[POOL], site, request.match_info["token"])
    if state == LinkState.UNKNOWN:
        raise NotFound("no such confirmation link")
    if state == LinkState.USED:
        raise authors.LinkUsed()
    if state == LinkState.EXPIRED:
        raise authors.LinkExpired()
    words = _words(site)
    return _page(site, words["confirm_title"], _form(words, "confirm_text", "confirm_button"))


@routes.post(BASE + "/confirm/{token}")
@page
async def confirm_submit(request: web.Request, site: Site) -> web.Response:
    done = await authors.confirm(
        request.app[POOL], request.app[SETTINGS], site, request.match_info["token"]
    )
    if done.return_to is not None:
        # Back to the article; the widget takes the token from the fragment (never sent to a
        # server), keeps it in the page's storage and removes it from the address bar.
        location = f"{done.return_to}#moderation-author-token={done.author_token}"
        return web.Response(status=303, headers={"Location": location, **_headers(site)})
    words = _words(site)
    return _page(site, words["confirmed_title"], f"<p>{html.escape(words['confirmed_text'])}</p>")


@routes.post("/v1/sites/{site}/authors/confirm")
async def confirm_api(request: web.Request) -> web.Response:
    site = await request.app[SITES].get(request.match_info["site"])
    fields = Fields(await read_payload(request))
    token = fields.take("token", _string)
    fields.check()
    assert token is not None
    done = await authors.confirm(request.app[POOL], request.app[SETTINGS], site, token)
    return json_response(
        {"author_token": done.author_token, "return_to": done.return_to},
        headers={"Cache-Control": "no-store"},
    )


# Appeals -------------------------------------------------------------------------------


@routes.get(BASE + "/appeal/{link}")
@page
async def appeal_page(request: web.Request, site: Site) -> web.Response:
    statement = await authors.appealable(
        request.app[POOL], request.app[SETTINGS], site, request.match_info["link"]
    )
    words = _words(site)
    field = (
        f'<p>{html.escape(statement.puid)}</p><p><textarea name="text" dir="auto" required '
        f'maxlength="{APPEAL_MAX}"></textarea></p>'
    )
    return _page(site, words["appeal_title"], _form(words, "appeal_text", "appeal_button", field))


@routes.post(BASE + "/appeal/{link}")
@page
async def appeal_submit(request: web.Request, site: Site) -> web.Response:
    fields = Fields(await read_payload(request, allow_form=True))
    text = fields.take("text", parse_appeal_text)
    try:
        fields.check()
    except Invalid as invalid:
        if not _wants_html(request):
            raise
        words = _words(site)
        errors = "".join(
            f"<li>{html.escape(e['message'])}</li>" for e in invalid.extensions["errors"]
        )
        return _page(site, words["invalid"], f"<ul>{errors}</ul>", 422)
    assert text is not None
    await authors.open_appeal(
        request.app[POOL], request.app[SETTINGS], site, request.match_info["link"], text
    )
    words = _words(site)
    return _page(site, words["appealed_title"], f"<p>{html.escape(words['appealed_text'])}</p>")


@routes.post("/v1/sites/{site}/appeals")
async def appeal_api(request: web.Request) -> web.Response:
    site = await request.app[SITES].get(request.match_info["site"])
    fields = Fields(await read_payload(request))
    link = fields.take("token", _string)
    text = fields.take("text", parse_appeal_text)
    fields.check()
    assert link is not None and text is not None
    appeal = await authors.open_appeal(request.app[POOL], request.app[SETTINGS], site, link, text)
    return json_response({"id": str(appeal.id), "status": appeal.status.value}, status=201)


@routes.post("/v1/sites/{site}/authors/revoke-tokens")
async def revoke_tokens(request: web.Request) -> web.Response:
    await require_site(request, Role.ADMIN)
    site = await request.app[SITES].get(request.match_info["site"])
    fields = Fields(await read_payload(request))
    email = fields.take("email", parse_email)
    fields.check()
    assert email is not None
    revoked = await authors.revoke_tokens(request.app[POOL], request.app[SETTINGS], site, email)
    # The answer never repeats the address, nor says whether it was known beyond the count.
    return json_response({"revoked": revoked}, headers={"Cache-Control": "no-store"})


# Notifications: one click out (RFC 8058) -------------------------------------------------


@routes.get(BASE + "/unsubscribe/{link}")
@page
async def unsubscribe_page(request: web.Request, site: Site) -> web.Response:
    authors.check_unsubscribe_link(request.app[SETTINGS], site, request.match_info["link"])
    words = _words(site)
    return _page(
        site, words["unsubscribe_title"], _form(words, "unsubscribe_text", "unsubscribe_button")
    )


@routes.post(BASE + "/unsubscribe/{link}")
@page
async def unsubscribe_submit(request: web.Request, site: Site) -> web.Response:
    # A mail client's one-click POST carries `List-Unsubscribe=One-Click`; the body says nothing
    # the link does not, so it is not read.
    await authors.unsubscribe(
        request.app[POOL], request.app[SETTINGS], site, request.match_info["link"]
    )
    words = _words(site)
    return _page(
        site, words["unsubscribed_title"], f"<p>{html.escape(words['unsubscribed_text'])}</p>"
    )


# The author's own comments ----------------------------------------------------------------


@routes.get(BASE + "/me/{link}")
@page
async def own_page(request: web.Request, site: Site) -> web.Response:
    link = request.match_info["link"]
    mine = await authors.own_comments(request.app[POOL], request.app[SETTINGS], site, link)
    words = _words(site)
    statuses = dict(pair.split(":", 1) for pair in words["statuses"].split(","))
    items = "\n".join(
        f'<li id="comment-{c.id}"><p><strong>{html.escape(statuses.get(c.status.value, ""))}'
        f"</strong> · {c.created_at:%Y-%m-%d %H:%M} UTC</p>"
        f'<blockquote dir="{c.body_dir}">{c.body_html}</blockquote></li>'
        for c in mine
    )
    body = (
        f'<p><a href="{html.escape(link)}/comments.json" download>'
        f"{html.escape(words['own_download'])}</a></p>\n"
        + (f"<ol>{items}</ol>" if mine else f"<p>{html.escape(words['own_none'])}</p>")
        + f'\n<p><a href="{html.escape(link)}/erase">{html.escape(words["erase_link"])}</a></p>'
    )
    return _page(site, words["own_title"], body)


@routes.get(BASE + "/me/{link}/erase")
@page
async def erase_page(request: web.Request, site: Site) -> web.Response:
    """The confirm step: a `GET` (a mail scanner following the link) erases nothing."""
    authors.check_author_page_link(request.app[SETTINGS], site, request.match_info["link"])
    words = _words(site)
    choices = "".join(
        f'<p><label><input type="radio" name="mode" value="{mode.value}"'
        f"{' checked' if mode == EraseMode.ANONYMIZE else ''}> "
        f"{html.escape(words['erase_' + mode.value])}</label></p>"
        for mode in EraseMode
    )
    return _page(site, words["erase_title"], _form(words, "erase_text", "erase_button", choices))


@routes.post(BASE + "/me/{link}/erase")
@page
async def erase_submit(request: web.Request, site: Site) -> web.Response:
    fields = Fields(await read_payload(request, allow_form=True))
    mode = fields.take("mode", one_of(EraseMode), required=False) or EraseMode.ANONYMIZE
    fields.check()
    settings = request.app[SETTINGS]
    email_hash = authors.check_author_page_link(settings, site, request.match_info["link"])
    await subjects.erase(
        request.app[POOL], site, email_hash, mode, actor=None, threads=request.app[THREADS]
    )
    words = _words(site)
    return _page(site, words["erased_title"], f"<p>{html.escape(words['erased_text'])}</p>")


@routes.get(BASE + "/me/{link}/comments.json")
@page
async def own_json(request: web.Request, site: Site) -> web.Response:
    mine = await authors.own_comments(
        request.app[POOL], request.app[SETTINGS], site, request.match_info["link"]
    )
    body = {"site": site.slug, "comments": [own_comment_view(c, site.slug) for c in mine]}
    return web.Response(
        text=json.dumps(body, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={
            **_headers(site),
            "Content-Disposition": f'attachment; filename="{site.slug}-comments.json"',
        },
    )
