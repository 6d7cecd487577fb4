"""HTTP handlers: one exchange each — authenticate, parse, call one use case, render."""

from __future__ import annotations

from aiohttp import web

from . import (
    appeals,
    authors,
    claims,
    console,
    mail,
    moderator,
    ops,
    public,
    reportpage,
    reports,
    settings,
    subjects,
    webhooks,
)

routes: list[web.AbstractRouteDef] = [
    *public.routes,
    *reportpage.routes,
    *reports.routes,
    *moderator.routes,
    *claims.routes,
    *console.routes,
    *settings.routes,
    *subjects.routes,
    *webhooks.routes,
    *mail.routes,
    *authors.routes,
    *appeals.routes,
    *ops.routes,
]
