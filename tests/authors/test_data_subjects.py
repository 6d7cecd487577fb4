"""A data subject's rights (issue 13), through HTTP and a real SMTP server: an admin exports
everything held about an address and erases it (anonymize or delete); the author erases from
their own page; afterwards no column of any table holds the address or its keyed hash."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from moderation.db import POOL
from moderation.identity import email_fingerprint
from moderation.sealing import Place, Sealed
from tests.authors.conftest import ARTICLE, BROWSER, link_in, set_settings
from tests.authors.test_statements_and_appeals import hook, reject
from tests.conftest import TEST_KEYS as KEYS
from tests.conftest import TEST_SECRET, SiteFixture, approve, post_comment
from tests.mail.conftest import MailServer, mails_settled
from tests.support import eventually

THREAD = "politics/2026/elections"
SARA = "Sara.Ahmed@Example.COM"  # as typed; normalized, the domain is lower case


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def columns_holding(
    pool: asyncpg.Pool, texts: list[str], raw: list[bytes]
) -> tuple[int, list[str]]:
    """Every text-like, json/jsonb, array and bytea column of every table in the schema, read
    from the catalog (a new table or column is searched without changing this test): how many
    were searched, and `table.column` of each that holds one of the needles (text needles match
    case-insensitively; bytea columns are searched for the raw needles and the texts' bytes)."""
    columns = await pool.fetch(
        """SELECT c.relname AS table_name, a.attname AS column_name, t.typname AS type_name,
                  t.typcategory AS category
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_type t ON t.oid = a.atttypid
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
              AND a.attnum > 0 AND NOT a.attisdropped
              AND (t.typcategory IN ('S', 'A', 'U') OR t.typname IN ('json', 'jsonb', 'bytea'))
            ORDER BY c.relname, a.attnum"""
    )
    needles_bytes = [*raw, *(t.encode() for t in texts), *(t.lower().encode() for t in texts)]
    hits = []
    for col in columns:
        table, column = _ident(col["table_name"]), _ident(col["column_name"])
        if col["type_name"] == "bytea":
            found = await pool.fetchval(
                f"SELECT count(*) FROM {table} WHERE EXISTS ("
                f"  SELECT 1 FROM unnest($1::bytea[]) n WHERE position(n IN {column}) > 0)",
                needles_bytes,
            )
        else:
            found = await pool.fetchval(
                f"SELECT count(*) FROM {table} WHERE EXISTS ("
                f"  SELECT 1 FROM unnest($1::text[]) n"
                f"   WHERE strpos(lower({column}::text), lower(n)) > 0)",
                texts,
            )
        if found:
            hits.append(f"{col['table_name']}.{col['column_name']}")
    return len(columns), hits


def needles(site_id: int, address: str) -> tuple[list[str], list[bytes]]:
    """The address as typed, normalized and case-folded, and its keyed hash: raw, hex, base64."""
    normalized = address.split("@")[0] + "@" + address.split("@")[1].lower()
    digest = email_fingerprint(TEST_SECRET, site_id, normalized)
    b64 = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    texts = [address, normalized, normalized.casefold(), digest.hex(), b64]
    return texts, [digest]


async def sealed_values(pool: asyncpg.Pool, digest: bytes) -> list[tuple[str, bytes]]:
    """The sealed addresses of the rows the keyed hash finds, with where they are."""
    rows = await pool.fetch(
        """SELECT 'comments.email_sealed' AS place, email_sealed AS value FROM comments
            WHERE email_hash = $1 AND email_sealed IS NOT NULL
           UNION ALL
           SELECT 'mail_outbox.recipient_sealed', recipient_sealed FROM mail_outbox
            WHERE recipient_hash = $1 AND recipient_sealed IS NOT NULL
           UNION ALL
           SELECT 'reports.reporter_email_sealed', reporter_email_sealed FROM reports
            WHERE reporter_hash = $1 AND reporter_email_sealed IS NOT NULL""",
        digest,
    )
    return [(r["place"], bytes(r["value"])) for r in rows]


async def site_id(client: TestClient, site: SiteFixture) -> int:
    return int(await client.app[POOL].fetchval("SELECT id FROM sites WHERE slug = $1", site.slug))


async def export(client: TestClient, site: SiteFixture, email: str) -> dict[str, Any]:
    response = await client.post(
        f"/v1/sites/{site.slug}/data-subjects/export",
        json={"email": email},
        headers=site.auth(site.admin),
    )
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def erase(client: TestClient, site: SiteFixture, email: str, mode: str) -> dict[str, Any]:
    response = await client.post(
        f"/v1/sites/{site.slug}/data-subjects/erase",
        json={"email": email, "mode": mode},
        headers=site.auth(site.admin),
    )
    assert response.status == 200, await response.text()
    return dict(await response.json())


async def thread(client: TestClient, site: SiteFixture) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/sites/{site.slug}/comments", params={"thread": THREAD})
    assert response.status == 200
    return list((await response.json())["items"])


async def sara_everywhere(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> dict[str, Any]:
    """Sara's data in every place it can live: comments (approved, rejected and appealed,
    pending), a confirmation and an author token, notifications, mails with attempts, a
    suppression after a hard bounce, webhook deliveries, audit notes, rate-limit rows."""
    await hook(client, site)
    await set_settings(client, site, hourly_limit=1000, statement_of_reasons="all")
    first = await post_comment(
        client,
        site,
        email=SARA,
        page_url=ARTICLE,
        notify=True,
        website="https://sara.example",
        body="مقال ممتاز، شكراً على التغطية الدقيقة.",
    )
    [confirm] = await smtp_server.wait_for(1)
    assert (await client.post(link_in(confirm, "confirm"), allow_redirects=False)).status == 303
    await approve(client, site, first["id"])
    rejected = await post_comment(client, site, email=SARA, body="تعليق سيُرفض")
    await reject(client, site, rejected["id"], note="sara@example.com again", explanation="x")
    arrived = await smtp_server.wait_for(3)
    statement = next(a for a in arrived if link_in_or_none(a, "appeal"))
    appeal = await client.post(
        link_in(statement, "appeal"), data={"text": "أرجو المراجعة، كتبت Sara.Ahmed@Example.COM"}
    )
    assert appeal.status == 200
    reply = await post_comment(
        client, site, email="omar@example.com", name="عمر", parent_id=first["id"], body="أوافقك"
    )
    await approve(client, site, reply["id"])  # Sara hears of it
    await smtp_server.wait_for(5)
    await mails_settled(client)
    smtp_server.script_for(SARA, "550 5.1.1 <Sara.Ahmed@example.com>: no such user")
    pending = await post_comment(client, site, email=SARA, notify=True, body="تعليق ثالث")
    await approve(client, site, pending["id"])  # the approved mail bounces for good
    await eventually(
        lambda: client.app[POOL].fetchval("SELECT count(*) FROM mail_suppressions"), 10
    )
    # Sara reports another reader's comment, giving her name and address (issue 12).
    report = await client.post(
        f"/v1/comments/{reply['id']}/reports",
        json={
            "category": "harassment",
            "explanation": "يهاجمني باسمي، سارة أحمد",
            "reporter_name": "سارة أحمد",
            "reporter_email": SARA,
        },
    )
    assert report.status == 202, await report.text()
    await mails_settled(client)
    return {"first": first, "rejected": rejected, "reply": reply, "third": pending}


def link_in_or_none(arrived: Any, page: str) -> str | None:
    try:
        return link_in(arrived, page)
    except ValueError:
        return None


async def test_an_admin_exports_then_anonymizes_an_address_and_no_column_holds_it_after(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(client, site, language="ar")
    sara = await sara_everywhere(client, site, smtp_server)
    pool = client.app[POOL]
    texts, raw = needles(await site_id(client, site), SARA)
    searched, before = await columns_holding(pool, texts, raw)
    # Her address is sealed at rest (sql/0014): only its keyed hashes are found as they are,
    # and the appeal in which she typed it herself (free text is not sealed).
    assert set(before) == {
        "appeals.body",
        "authors.email_hash",
        "author_confirmations.email_hash",
        "author_tokens.email_hash",
        "comments.email_hash",
        "mail_outbox.recipient_hash",
        "mail_suppressions.recipient_hash",
        "rate_limits.bucket",
        "reports.reporter_hash",
    }, before
    # Its ciphertexts are needles too: the erase must take the sealed columns with it.
    sealed = await sealed_values(pool, raw[0])
    assert {place for place, _ in sealed} == {
        "comments.email_sealed",
        "mail_outbox.recipient_sealed",
        "reports.reporter_email_sealed",
    }
    raw += [value for _, value in sealed]

    document = await export(
        client, site, "sara.ahmed@example.com".replace("sara.ahmed", "Sara.Ahmed")
    )
    assert [c["id"] for c in document["comments"]] == [
        sara["first"]["id"],
        sara["rejected"]["id"],
        sara["third"]["id"],
    ]
    first = document["comments"][0]
    assert first["name"] == "سارة أحمد" and first["website"] == "https://sara.example"
    assert first["ip_address"] == "127.0.0.1" and first["status"] == "approved"
    decisions = document["comments"][1]["decisions"]
    assert [(d["action"], d["to_status"]) for d in decisions] == [
        ("reject", "rejected"),
        ("appeal", "rejected"),
    ]
    assert "note" not in document["comments"][1]["decisions"][0]  # internal, not exported
    assert document["appeals"][0]["text"].startswith("أرجو المراجعة")
    assert document["author"]["verified_at"] is not None and document["author"]["undeliverable"]
    assert {m["kind"] for m in document["mails"]} >= {"confirm", "approved", "statement", "reply"}
    assert len(document["statements_of_reasons"]) == 1
    [filed] = document["reports_filed"]
    assert (filed["comment_id"], filed["reporter_name"]) == (sara["reply"]["id"], "سارة أحمد")
    assert filed["category"] == "harassment" and filed["case_status"] == "open"

    done = await erase(client, site, SARA, "anonymize")
    assert done["erased"]["comments"] == 3 and done["erased"]["authors"] == 1
    assert done["erased"]["mail_suppressions"] == 1 and done["erased"]["rate_limits"] >= 1
    assert done["erased"]["appeals"] == 1 and done["erased"]["audit_notes"] == 1
    assert done["erased"]["reports"] == 1
    assert sorted(done["comment_ids"]) == sorted(
        [sara["first"]["id"], sara["rejected"]["id"], sara["third"]["id"]]
    )
    searched, after = await columns_holding(pool, texts, raw)
    print(f"\nerase test: {searched} columns searched, hits after the erase: {after}")
    assert after == []
    assert searched >= 60

    # The text stays in its thread under a localized "deleted author"; Omar's reply is his own.
    shown = {c["id"]: c for c in await thread(client, site)}
    assert shown[sara["first"]["id"]]["name"] == "كاتب محذوف"
    assert shown[sara["first"]["id"]]["website"] is None
    assert "التغطية الدقيقة" in shown[sara["first"]["id"]]["body_html"]
    assert shown[sara["reply"]["id"]]["name"] == "عمر"
    omar = await export(client, site, "omar@example.com")
    assert [c["email"] for c in omar["comments"]] == ["omar@example.com"]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM comments WHERE client_ip IS NOT NULL AND erased IS NOT NULL"
        )
        == 0
    )
    # The decisions stay in the audit, without the moderator's note about her.
    actions = await pool.fetch(
        "SELECT action, note FROM moderation_audit WHERE comment_id = $1 ORDER BY id",
        int(sara["rejected"]["id"]),
    )
    assert [(r["action"], r["note"]) for r in actions] == [
        ("reject", None),
        ("appeal", None),
        ("erase_anonymize", None),
    ]
    erased_events = [
        json.loads(r["body"])
        for r in await pool.fetch(
            "SELECT body FROM webhook_deliveries WHERE event_type = 'author.erased'"
        )
    ]
    assert erased_events == [
        {
            "type": "author.erased",
            "timestamp": erased_events[0]["timestamp"],
            "data": {"site": site.slug, "mode": "anonymize", "comment_ids": done["comment_ids"]},
        }
    ]
    # Nothing is known about her any more: the same shape as for an address never seen.
    assert await export(client, site, SARA) == await export(client, site, "nobody@example.com")


async def test_delete_keeps_each_comment_as_a_placeholder_so_replies_keep_their_place(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    first = await post_comment(
        client, site, email="Jane@example.com", name="Jane", body="Zebra quartz"
    )
    await approve(client, site, first["id"])
    reply = await post_comment(
        client, site, email="omar@example.com", name="Omar", parent_id=first["id"], body="Hi Jane"
    )
    await approve(client, site, reply["id"])
    before = await thread(client, site)  # cached now; the erase must reach the cache
    assert [c["name"] for c in before] == ["Jane", "Omar"]

    done = await erase(client, site, "jane@EXAMPLE.com", "delete")
    assert done["erased"]["comments"] == 1 and done["mode"] == "delete"
    shown = await thread(client, site)
    assert [(c["id"], c["name"], c["body_html"]) for c in shown] == [
        (first["id"], "Deleted author", "<p>Comment removed</p>"),
        (reply["id"], "Omar", shown[1]["body_html"]),
    ]
    assert shown[1]["parent_id"] == first["id"] and "Hi Jane" in shown[1]["body_html"]
    pool = client.app[POOL]
    texts, raw = needles(await site_id(client, site), "Jane@example.com")
    _, hits = await columns_holding(pool, [*texts, "Zebra quartz"], raw)
    assert hits == []


async def test_an_unknown_address_gets_the_same_shape_and_bad_input_a_422_naming_the_field(
    client: TestClient, site: SiteFixture, other_site: SiteFixture
) -> None:
    await post_comment(client, other_site, email="sara@example.com")
    unknown = await export(client, site, "sara@example.com")
    assert unknown == {
        "site": site.slug,
        "comments": [],
        "statements_of_reasons": [],
        "appeals": [],
        "reports_filed": [],
        "author": None,
        "mails": [],
    }
    nothing = await erase(client, site, "sara@example.com", "delete")
    assert nothing["comment_ids"] == [] and set(nothing["erased"].values()) == {0}
    # The other site's comment is untouched: an erase is per site.
    assert (
        await client.app[POOL].fetchval(
            "SELECT count(*) FROM comments WHERE email_sealed IS NULL OR erased IS NOT NULL"
        )
        == 0
    )

    url = f"/v1/sites/{site.slug}/data-subjects/erase"
    for body, field in (
        ({"email": "not an address", "mode": "anonymize"}, "email"),
        ({"email": "sara@example.com", "mode": "shred"}, "mode"),
        ({"mode": "delete"}, "email"),
    ):
        response = await client.post(url, json=body, headers=site.auth(site.admin))
        assert response.status == 422
        assert response.content_type == "application/problem+json"
        assert [e["field"] for e in (await response.json())["errors"]] == [field]
    moderator = await client.post(
        url, json={"email": "sara@example.com"}, headers=site.auth(site.moderator)
    )
    assert moderator.status == 403
    foreign = await client.post(
        f"/v1/sites/{other_site.slug}/data-subjects/export",
        json={"email": "sara@example.com"},
        headers=site.auth(site.admin),
    )
    assert foreign.status == 404


async def test_an_author_erases_their_data_from_their_own_page_after_a_confirm_step(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    await set_settings(client, site, language="ar")
    posted = await post_comment(client, site, page_url=ARTICLE, body="رأيي الشخصي")
    [arrived] = await smtp_server.wait_for(1)
    await approve(client, site, posted["id"])
    page = link_in(arrived, "me")
    own = await client.get(page, headers=BROWSER)
    assert "محو بياناتي من هذا الموقع" in await own.text()
    confirm = await client.get(page + "/erase", headers=BROWSER)
    text = await confirm.text()
    assert confirm.status == 200 and 'name="mode" value="delete"' in text
    assert 'dir="rtl"' in text
    assert (
        await client.app[POOL].fetchval("SELECT count(*) FROM comments WHERE erased IS NOT NULL")
        == 0
    )
    done = await client.post(page + "/erase", data={"mode": "anonymize"}, headers=BROWSER)
    assert done.status == 200 and "تم محو بياناتك" in await done.text()
    [shown] = await thread(client, site)
    assert shown["name"] == "كاتب محذوف" and "رأيي الشخصي" in shown["body_html"]
    # The link now shows nothing: the address is no longer linked to any comment.
    assert "لا تعليقات." in await (await client.get(page, headers=BROWSER)).text()
    forged = await client.post(page[:-3] + "AAA/erase", data={"mode": "delete"})
    assert forged.status == 404
    bad_mode = await client.post(page + "/erase", data={"mode": "shred"})
    assert bad_mode.status == 422


async def test_an_erase_during_a_flood_from_the_same_address_keeps_exactly_the_later_comments(
    client: TestClient, site: SiteFixture
) -> None:
    """The erase takes the author's lock that every post takes: a post committed before it is
    erased, a post waiting for it is stored after it (a new act, kept). So every comment ends
    either erased or whole, and the whole ones were all answered after the erase's snapshot."""
    pool = client.app[POOL]

    async def flood(task: int, n: int) -> list[str]:
        ids = []
        for i in range(n):
            posted = await post_comment(
                client,
                site,
                email="flood@example.com",
                name="Flood",
                body=f"رسالة {task}-{i} / message {task}-{i}",
            )
            ids.append(posted["id"])
        return ids

    async def erase_midway() -> dict[str, Any]:
        await eventually(
            lambda: pool.fetchval("SELECT count(*) >= 5 FROM comments WHERE name = 'Flood'"), 10
        )
        return await erase(client, site, "flood@example.com", "delete")

    floods = [asyncio.create_task(flood(task, 15)) for task in range(3)]
    done, *posted = await asyncio.gather(erase_midway(), *floods)
    all_ids = {i for ids in posted for i in ids}
    erased = set(done["comment_ids"])
    assert erased and erased < all_ids  # some before, some after
    r_site = await site_id(client, site)
    rows = await pool.fetch(
        "SELECT id::text, email_sealed AS email, email_key, email_hash, body_text, erased"
        " FROM comments"
    )
    assert {r["id"] for r in rows} == all_ids  # nothing lost
    for r in rows:
        if r["id"] in erased:
            assert (r["email"], r["email_key"], r["email_hash"], r["erased"]) == (
                None,
                None,
                None,
                "deleted",
            )
            assert r["body_text"] == "Comment removed"
        else:  # kept whole: posted after the erase
            opened = KEYS.open(Place.COMMENT_EMAIL, r_site, Sealed(r["email_key"], r["email"]))
            assert opened == "flood@example.com" and r["erased"] is None
            assert r["body_text"].startswith("رسالة ")
    # The comments kept are a new act: the address is known again and sent a new confirmation.
    digest = email_fingerprint(TEST_SECRET, await site_id(client, site), "flood@example.com")
    assert await pool.fetchval("SELECT count(*) FROM authors WHERE email_hash = $1", digest) == 1
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM mail_outbox WHERE recipient_hash = $1 AND kind = 'confirm'",
            digest,
        )
        == 1
    )
    # Each flood posts one after another: what it posted before the erase is erased, what it
    # posted after is kept, never the other way round.
    for ids in posted:
        flags = [i in erased for i in ids]
        assert flags == sorted(flags, reverse=True)
