"""The comment form without JavaScript: a plain HTML form post is sent back to the article,
but only to a page on one of the site's own origins — never to an arbitrary address."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote, urlunsplit

from aiohttp import web

from ..domain import Comment, Site, Status
from ..schemas import FORM_TYPES, Submission, parse_submission, read_payload, split_url

RETURN_FIELD = "return_to"
_URL_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))  # printable ASCII but the space


async def read_submission(request: web.Request, site: Site) -> Submission:
    """The posted comment, JSON or a plain form; a form's answer goes back to its article.
    Where it goes is decided before the comment is stored: whatever it says, the author gets
    an answer."""
    payload = await read_payload(request, allow_form=True)
    submission = parse_submission(payload)
    return dataclasses.replace(submission, return_to=return_target(request, site, payload))


def return_target(request: web.Request, site: Site, payload: dict[str, Any]) -> str | None:
    """Where a form post goes back to: `return_to`, else the Referer, if its origin is one of
    the site's; None for JSON requests or any other address (they get the usual 202)."""
    if request.content_type not in FORM_TYPES:
        return None
    candidate = payload.get(RETURN_FIELD) or request.headers.get("Referer")
    # Control characters (%00, %0B, %1B, %7F in a form) can't go into a Location header, and
    # a header's undecodable bytes arrive as surrogates: such an address is simply not used.
    if not isinstance(candidate, str) or len(candidate) > 2000 or not candidate.isprintable():
        return None
    parts = split_url(candidate)
    if parts is None:
        return None
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        return None
    if f"{parts.scheme}://{parts.netloc}" not in site.origins:
        return None
    # An address typed with Arabic letters goes back percent-encoded, as browsers send it.
    return quote(urlunsplit(parts._replace(fragment="")), safe=_URL_SAFE)


def back_to_article(target: str, comment: Comment) -> web.Response:
    # Spam answers like pending, as in the JSON reply: bots learn nothing.
    status = "approved" if comment.status == Status.APPROVED else "pending"
    return web.Response(status=303, headers={"Location": f"{target}#comment-status={status}"})
