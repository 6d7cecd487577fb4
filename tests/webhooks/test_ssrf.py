"""Webhook URLs can't reach our own network: address rules, URL rules, and real refused connects."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from moderation.webhooks.ssrf import (
    BlockedDestination,
    UnsafeURL,
    blocked_reason,
    check_destination,
    check_url_syntax,
    guarded_connector,
    is_public_address,
    open_public_socket,
)

PUBLIC_IP = "93.184.215.14"


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104
        "0.1.2.3",
        "255.255.255.255",
        "224.0.0.1",
        "240.0.0.1",
        "198.18.0.1",
        "198.19.255.255",
        "192.0.0.8",
        "192.0.2.1",
        "198.51.100.7",
        "203.0.113.9",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12::1",
        "fec0::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.1.2.3",
        "::127.0.0.1",
        "::8.8.8.8",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::7f00:1",
        "64:ff9b:1::808:808",
        "2002:7f00:1::",
        "2002:a9fe:a9fe::",
        "2002:c0a8:101::1",
        "2001::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001:db8::1",
        "3fff::1",
        "100::1",
        "not-an-address",
        "127.000.000.001",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address",
    [
        PUBLIC_IP,
        "1.1.1.1",
        "8.8.8.8",
        "2606:4700:4700::1111",
        "2a00:1450:4001:82a::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_public_addresses_are_accepted(address: str) -> None:
    assert is_public_address(address)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://127.0.0.1:6379/_INFO", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("//example.com/hook", "http:// or https://"),
        ("#hook", "http:// or https://"),
        ("http:///nohost", "must name a host"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http://user@example.com/", "user name or password"),
        ("https://hooks.example.com/x#section", "fragment"),
        ("https://hooks.example.com:0/x", "port"),
        ("https://hooks.example.com:70000/x", "not a valid URL"),
        ("https://hooks.example.com/x y", "spaces or control characters"),
        ("https://hooks.exa\nmple.com/x", "spaces or control characters"),
        ("https://exa_mple..com/x", "not a valid host name"),
        ("https://" + "a" * 2_000 + ".com/", "longer than 2000"),
        ("http://127.0.0.1/", "127.0.0.1 is not a public address"),
        ("http://[::1]/", "::1 is not a public address"),
        ("http://[::ffff:127.0.0.1]:8080/", "not a public address"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is not a public address"),
        ("http://[64:ff9b::a9fe:a9fe]/", "not a public address"),
        ("http://[fe80::1%25eth0]/", "not a public address"),
        ("http://0x7f000001/", "dotted decimal"),
        ("http://2130706433/", "dotted decimal"),
        ("http://127.1/", "dotted decimal"),
        ("http://0177.0.0.1/", "dotted decimal"),
        ("http://localhost:8080/", "loopback name"),
        ("http://api.localhost./", "loopback name"),
    ],
)
def test_unsafe_urls_are_refused_with_a_readable_reason(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURL, match=reason):
        check_url_syntax(url, allow_private=False)


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://hooks.example.com/x", "https://hooks.example.com/x"),
        ("HTTPS://Hooks.Example.COM:443/x?site=7", "https://hooks.example.com/x?site=7"),
        ("http://hooks.example.com:8080/x", "http://hooks.example.com:8080/x"),
        ("https://مثال.مصر/hook", "https://xn--mgbh0fb.xn--wgbh1c/hook"),
        (f"https://{PUBLIC_IP}/hook", f"https://{PUBLIC_IP}/hook"),
        ("https://[2606:4700:4700::1111]/hook", "https://[2606:4700:4700::1111]/hook"),
    ],
)
def test_safe_urls_are_accepted_and_normalized(url: str, normalized: str) -> None:
    assert check_url_syntax(url, allow_private=False) == normalized


def test_allow_private_lifts_only_the_address_rules() -> None:
    assert check_url_syntax("http://127.0.0.1:8080/", allow_private=True)
    assert check_url_syntax("http://localhost:8080/", allow_private=True)
    with pytest.raises(UnsafeURL):
        check_url_syntax("file:///etc/passwd", allow_private=True)
    with pytest.raises(UnsafeURL):
        check_url_syntax("http://user:pw@127.0.0.1/", allow_private=True)


class ScriptedResolver(AbstractResolver):
    """Answers each lookup with the next scripted list of addresses; the real DNS is unreachable."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.lookups.append(host)
        addresses = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        pass


class FailingResolver(ScriptedResolver):
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


async def test_a_host_resolving_to_a_private_address_is_blocked_at_registration() -> None:
    resolver = ScriptedResolver(["10.0.0.5"])

    with pytest.raises(BlockedDestination, match=r"hooks\.example\.com resolves to 10\.0\.0\.5"):
        await check_destination(
            "https://hooks.example.com/x", allow_private=False, resolver=resolver
        )


async def test_one_private_address_in_a_mixed_answer_blocks_the_host() -> None:
    resolver = ScriptedResolver([PUBLIC_IP, "2606:4700:4700::1111", "169.254.169.254"])

    with pytest.raises(BlockedDestination, match=r"169\.254\.169\.254"):
        await check_destination(
            "https://hooks.example.com/x", allow_private=False, resolver=resolver
        )


@pytest.mark.parametrize("resolver", [ScriptedResolver([]), FailingResolver([])])
async def test_a_host_that_does_not_resolve_is_blocked(resolver: AbstractResolver) -> None:
    with pytest.raises(BlockedDestination, match="does not resolve"):
        await check_destination("https://nowhere.example/x", allow_private=False, resolver=resolver)


async def test_a_host_resolving_only_to_public_addresses_passes_and_comes_back_normalized() -> None:
    resolver = ScriptedResolver([PUBLIC_IP, "2606:4700:4700::1111"])

    url = await check_destination(
        "HTTPS://Hooks.Example.com/x", allow_private=False, resolver=resolver
    )

    assert url == "https://hooks.example.com/x"
    assert resolver.lookups == ["hooks.example.com"]


async def test_check_destination_refuses_bad_syntax_before_resolving() -> None:
    resolver = ScriptedResolver([PUBLIC_IP])

    with pytest.raises(UnsafeURL):
        await check_destination("http://[::1]/", allow_private=False, resolver=resolver)
    assert resolver.lookups == []


async def test_allow_private_checks_syntax_but_resolves_nothing() -> None:
    resolver = ScriptedResolver(["127.0.0.1"])

    assert await check_destination(
        "http://receiver.internal:9000/", allow_private=True, resolver=resolver
    )
    assert resolver.lookups == []
    with pytest.raises(UnsafeURL):
        await check_destination("ftp://receiver.internal/", allow_private=True)


RECEIVED = web.AppKey("test.received", list)
CLIENT_PORTS = web.AppKey("test.client_ports", set)


async def receive(request: web.Request) -> web.Response:
    request.app[RECEIVED].append((request.method, request.path, await request.read()))
    assert request.transport is not None
    request.app[CLIENT_PORTS].add(request.transport.get_extra_info("peername")[1])
    return web.Response(text="ok")


async def redirect(request: web.Request) -> web.Response:
    request.app[RECEIVED].append((request.method, request.path, await request.read()))
    raise web.HTTPTemporaryRedirect("http://127.0.0.2:1/elsewhere")


@pytest.fixture
async def receiver(aiohttp_server: AiohttpServer) -> TestServer:
    app = web.Application()
    app[RECEIVED] = []
    app[CLIENT_PORTS] = set()
    app.router.add_post("/", receive)
    app.router.add_post("/redirect", redirect)
    return await aiohttp_server(app, host="127.0.0.1")


async def post_refused(session: aiohttp.ClientSession, url: str) -> aiohttp.ClientError:
    with pytest.raises(aiohttp.ClientConnectorError) as refused:
        await session.post(url, data=b"{}", allow_redirects=False)
    return refused.value


async def test_an_ip_literal_loopback_url_is_refused_by_the_socket_check(
    receiver: TestServer,
) -> None:
    async with aiohttp.ClientSession(connector=guarded_connector(allow_private=False)) as session:
        refused = await post_refused(session, f"http://127.0.0.1:{receiver.port}/")

    assert type(refused) is aiohttp.ClientConnectorError
    assert isinstance(refused.__cause__, BlockedDestination)
    assert blocked_reason(refused) == "refusing to connect to 127.0.0.1: not a public address"
    assert receiver.app[RECEIVED] == []


async def test_localhost_is_refused_by_the_resolver_check(receiver: TestServer) -> None:
    async with aiohttp.ClientSession(connector=guarded_connector(allow_private=False)) as session:
        refused = await post_refused(session, f"http://localhost:{receiver.port}/")

    assert type(refused) is aiohttp.ClientConnectorDNSError
    reason = blocked_reason(refused)
    assert reason is not None
    assert reason.startswith("localhost resolves to ")
    assert receiver.app[RECEIVED] == []


async def test_a_name_rebound_to_loopback_after_registration_is_refused_at_delivery(
    receiver: TestServer,
) -> None:
    rebinding = ScriptedResolver([PUBLIC_IP], ["127.0.0.1"])
    url = f"http://hooks.example.com:{receiver.port}/"
    assert await check_destination(url, allow_private=False, resolver=rebinding)

    connector = guarded_connector(allow_private=False, resolver=rebinding)
    async with aiohttp.ClientSession(connector=connector) as session:
        refused = await post_refused(session, url)

    assert blocked_reason(refused) == (
        "hooks.example.com resolves to 127.0.0.1, not a public address"
    )
    assert receiver.app[RECEIVED] == []


async def test_the_socket_check_alone_stops_a_rebound_name(receiver: TestServer) -> None:
    rebinding = ScriptedResolver([PUBLIC_IP], ["127.0.0.1"])
    url = f"http://hooks.example.com:{receiver.port}/"
    assert await check_destination(url, allow_private=False, resolver=rebinding)

    unguarded_lookup = aiohttp.TCPConnector(resolver=rebinding, socket_factory=open_public_socket)
    async with aiohttp.ClientSession(connector=unguarded_lookup) as session:
        refused = await post_refused(session, url)

    assert blocked_reason(refused) == "refusing to connect to 127.0.0.1: not a public address"
    assert receiver.app[RECEIVED] == []


async def test_allow_private_reaches_the_same_local_receiver(receiver: TestServer) -> None:
    rebinding = ScriptedResolver(["127.0.0.1"])
    connector = guarded_connector(allow_private=True, resolver=rebinding)
    async with aiohttp.ClientSession(connector=connector) as session:
        for url in (
            f"http://127.0.0.1:{receiver.port}/",
            f"http://hooks.example.com:{receiver.port}/",
        ):
            async with session.post(url, data=b'{"n":1}', allow_redirects=False) as response:
                assert response.status == 200

    assert receiver.app[RECEIVED] == [("POST", "/", b'{"n":1}')] * 2


async def test_connections_are_kept_alive_and_reused(receiver: TestServer) -> None:
    async with aiohttp.ClientSession(connector=guarded_connector(allow_private=True)) as session:
        for _ in range(20):
            async with session.post(f"http://127.0.0.1:{receiver.port}/", data=b"{}") as response:
                await response.read()

    assert len(receiver.app[CLIENT_PORTS]) == 1
    assert len(receiver.app[RECEIVED]) == 20


async def test_a_redirect_is_returned_as_is_and_not_followed(receiver: TestServer) -> None:
    async with (
        aiohttp.ClientSession(connector=guarded_connector(allow_private=True)) as session,
        session.post(
            f"http://127.0.0.1:{receiver.port}/redirect", data=b"{}", allow_redirects=False
        ) as response,
    ):
        assert response.status == 307
        assert response.headers["Location"] == "http://127.0.0.2:1/elsewhere"

    assert receiver.app[RECEIVED] == [("POST", "/redirect", b"{}")]


async def test_an_ordinary_connect_failure_is_not_reported_as_blocked() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    async with aiohttp.ClientSession(connector=guarded_connector(allow_private=True)) as session:
        refused = await post_refused(session, f"http://127.0.0.1:{closed_port}/")

    assert blocked_reason(refused) is None


def test_blocked_reason_digs_through_wrapping_and_ignores_other_errors() -> None:
    blocked = BlockedDestination("refusing to connect to 10.0.0.1: not a public address")
    wrapped = RuntimeError("delivery failed")
    wrapped.__cause__ = blocked

    assert blocked_reason(wrapped) == str(blocked)
    assert blocked_reason(ExceptionGroup("two", [ValueError(), blocked])) == str(blocked)
    assert blocked_reason(ValueError("nope")) is None


def test_blocked_destination_reads_well_inside_aiohttp_errors() -> None:
    blocked = BlockedDestination("refusing to connect to 10.0.0.1: not a public address")

    assert str(blocked) == "refusing to connect to 10.0.0.1: not a public address"
    assert isinstance(blocked, OSError)
