"""The requests each system is sent, written as Lua data files for bench/lua/post.lua and get.lua.

Ours and the baselines get byte-identical POST bodies; Isso gets the same text in its own field
names. Thread keys rotate over THREADS so no single thread is hot during ingest.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from bodies import GAP, Body

THREADS = 200
EMAIL_DOMAIN = "@bench.example"


def _lua_string(value: str) -> str:
    out = ['"']
    for byte in value.encode():
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif byte < 32 or byte == 127:
            out.append(f"\\{byte:03d}")
        else:
            out.append(char)
    out.append('"')
    # Lua 5.1 strings are bytes: UTF-8 passes through unchanged.
    return "".join(out).encode("latin-1").decode("utf-8")


def _lua_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _lua_string(value)
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_value(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua_value(v) for v in value) + "}"
    raise TypeError(f"no Lua form for {type(value).__name__}")


def write_lua_data(
    path: Path,
    items: list[tuple[str, ...]],  # (path,) for GETs; see post.lua for POSTs
    *,
    headers: dict[str, str] | None = None,
    unique: bool = False,
    forwarded: bool = False,
) -> Path:
    """items: (path,) for GETs; (path, language, segment, ...) for POSTs, the body being the
    segments joined by fresh words and, with `unique`, the author's id in the last gap."""
    table = {"headers": headers or {}, "unique": unique, "forwarded": forwarded}
    lines = ["return {"]
    lines += [f"  {k} = {_lua_value(v)}," for k, v in table.items()]
    lines.append("  items = {")
    lines += [f"    {_lua_value(list(item))}," for item in items]
    lines += ["  },", "}", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _split_at_gaps(body: Body, fields: dict[str, object], email_key: str) -> tuple[str, ...]:
    """JSON with the email last, cut at the body's gaps and where the per-request id goes."""
    text = json.dumps({**fields, email_key: "\0"}, ensure_ascii=False, separators=(",", ":"))
    head, tail = text.split("\\u0000")
    return (body.language, *(head + "reader-").split(GAP), EMAIL_DOMAIN + tail)


def comment_fields(body: Body, index: int) -> dict[str, object]:
    fields: dict[str, object] = {"thread": f"news/2026/story-{index % THREADS}", "name": body.name}
    fields["body"] = body.template
    if body.website:
        fields["website"] = body.website
    return fields


def ours_posts(site: str, bodies: list[Body]) -> list[tuple[str, ...]]:
    path = f"/v1/sites/{site}/comments"
    return [(path, *_split_at_gaps(b, comment_fields(b, i), "email")) for i, b in enumerate(bodies)]


def ingest_data(path: Path, site: str, bodies: list[Body]) -> Path:
    """The ingest load: JSON posts, each a new author with fresh words and its own client."""
    return write_lua_data(
        path,
        ours_posts(site, bodies),
        headers={"Content-Type": "application/json"},
        unique=True,
        forwarded=True,
    )


def flood_posts(site: str, bodies: list[Body]) -> list[tuple[str, ...]]:
    """One author on one thread, posting again and again: nothing to splice, no XFF."""
    path = f"/v1/sites/{site}/comments"
    items = []
    for body in bodies:
        fields = {"thread": "news/2026/flooded", "name": body.name, "body": body.text}
        text = json.dumps(
            {**fields, "email": "flooder" + EMAIL_DOMAIN}, ensure_ascii=False, separators=(",", ":")
        )
        items.append((path, body.language, text))
    return items


def isso_posts(bodies: list[Body]) -> list[tuple[str, ...]]:
    items = []
    for i, body in enumerate(bodies):
        uri = f"/news/2026/story-{i % THREADS}"
        # A title lets Isso create the thread without fetching the article page first.
        fields: dict[str, object] = {"text": body.template, "author": body.name, "title": uri}
        if body.website:
            fields["website"] = body.website
        path = "/new?uri=" + quote(uri, safe="")
        items.append((path, *_split_at_gaps(body, fields, "email")))
    return items
