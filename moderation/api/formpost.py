"""The comment form without JavaScript: a plain HTML form post is sent back to the article,
but only to a page on one of the site's own origins — never to an arbitrary address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from ..domain import Comment, Site, Status
from ..schemas import FORM_TYPES

RETURN_FIELD = "return_to"


def return_target(request: web.Request, site: Site, payload: dict[str, Any]) -> str | None:
    """Where a form post goes back to: `return_to`, else the Referer, if its origin is one of
    the site's; None for JSON requests or any other address (they get the usual 202)."""
    if request.content_type not in FORM_TYPES:
        return None
    candidate = payload.get(RETURN_FIELD) or request.headers.get("Referer")
    if not isinstance(candidate, str) or len(candidate) > 2000:
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        return None
    if f"{parts.scheme}://{parts.netloc}" not in site.origins:
        return None
    return urlunsplit(parts._replace(fragment=""))


def back_to_article(target: str, comment: Comment) -> web.Response:
    # Spam answers like pending, as in the JSON reply: bots learn nothing.
    status = "approved" if comment.status == Status.APPROVED else "pending"
    return web.Response(status=303, headers={"Location": f"{target}#comment-status={status}"})
