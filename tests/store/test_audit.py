"""moderation/store/audit.py on real PostgreSQL."""

from __future__ import annotations

from asyncpg.pool import PoolConnectionProxy

from moderation.domain import Actor, Role, Site
from moderation.store import audit
from tests.store.conftest import add_comment, moderator


async def test_the_history_of_a_comment_is_its_audit_rows_in_order(
    conn: PoolConnectionProxy, site: Site
) -> None:
    actor = await moderator(conn, site)
    system = Actor(site_id=site.id, site_slug=site.slug, role=Role.ADMIN, token_id=None)
    comment = await add_comment(conn, site)
    other = await add_comment(conn, site)
    await audit.record(
        conn,
        system,
        comment.id,
        action="received",
        from_status=None,
        to_status="pending",
        reason=None,
        note=None,
        request_id="req-1",
    )
    await audit.record(
        conn,
        actor,
        comment.id,
        action="reject",
        from_status="pending",
        to_status="rejected",
        reason="abusive",
        note="شتائم",
        request_id="req-2",
    )
    history = await audit.history(conn, site.id, comment.id)
    assert [(e.actor, e.action, e.to_status, e.note) for e in history] == [
        ("system", "received", "pending", None),
        ("token", "reject", "rejected", "شتائم"),
    ]
    assert history[1].token_id == actor.token_id
    assert await audit.history(conn, site.id, other.id) == []
    assert await audit.history(conn, site.id + 1, comment.id) == []
