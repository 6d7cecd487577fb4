"""Time limits on slow clients: a request's headers and its body must arrive in bounded time,
so a connection that trickles a byte now and then cannot hold a slot for ever."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from .config import SETTINGS, Settings
from .errors import Handler, RequestTimeout

# After an early answer (408, 413), how long aiohttp keeps reading the rest of the body so the
# client sees the answer rather than a reset. Bounded too: it is time a slow client holds.
LINGERING_SECONDS = 2.0


def server_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `web.run_app` / `web.AppRunner`, the one place they are chosen."""
    return {
        # aiohttp arms this timer when a connection opens and after each answer; a request
        # whose headers are not complete by then is dropped.
        "keepalive_timeout": settings.header_timeout,
        "lingering_time": LINGERING_SECONDS,
        "access_log": None,  # one line per request comes from logs.request_context
    }


@web.middleware
async def read_body_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read any announced body that is still arriving (at most client_max_size) before the
    handler runs, within Settings.body_timeout; aiohttp has no body timeout of its own. The
    handler's later reads get the same bytes from memory. A body that came whole with the
    headers (most do) has nothing to wait for and is left to the handler, which may answer
    without it (a refused flooder's 429)."""
    if request.body_exists and not request.content.is_eof():
        try:
            async with asyncio.timeout(request.app[SETTINGS].body_timeout):
                await request.read()
        except TimeoutError:
            raise RequestTimeout("the request body did not arrive in time") from None
    return await handler(request)
