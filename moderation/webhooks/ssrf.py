"""Keeps webhook deliveries off our network: URL rules at registration, address checks on connect.

The connect-time check is the authoritative one; the registration check gives a clear early error.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import aiohttp
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

MAX_URL_LENGTH = 2_000
RESOLVE_TIMEOUT = 5.0
ALLOWED_SCHEMES = frozenset({"http", "https"})

# Listed explicitly as well as checked through ipaddress's flags, whose tables change between
# Python versions (3.11 calls fec0::/10 and 3fff::/20 global).
NEVER_PUBLIC_V4 = tuple(
    IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network", including the unspecified address
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT, shared address space
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, including cloud metadata at 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, including broadcast 255.255.255.255
    )
)
NEVER_PUBLIC_V6 = tuple(
    IPv6Network(net)
    for net in (
        "::/96",  # unspecified, loopback and deprecated IPv4-compatible ::a.b.c.d
        "64:ff9b:1::/48",  # local-use NAT64: the embedded IPv4 reaches a private network
        "100::/64",  # discard-only
        "2001::/32",  # Teredo: the tunnelled client address can't be trusted, so refuse it all
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing identifiers
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
NAT64 = IPv6Network("64:ff9b::/96")
HOST_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")


class BlockedDestination(OSError):
    """A webhook destination that is, or resolves to, an address we refuse to contact.

    An OSError so that aiohttp treats it like any other connect failure: it arrives wrapped in
    aiohttp.ClientConnectorError (from the socket check) or aiohttp.ClientConnectorDNSError (from
    the resolver check), with the BlockedDestination as its __cause__; see blocked_reason().
    """

    def __init__(self, reason: str) -> None:
        super().__init__(None, reason)  # strerror is what aiohttp's wrappers print

    def __str__(self) -> str:
        return str(self.strerror)


class UnsafeURL(ValueError):
    """A webhook URL refused on syntax alone; the message is meant for the person registering."""


def is_public_address(addr: str) -> bool:
    """True only for a globally routable unicast address; False for anything that isn't an address.

    IPv6 forms that carry an IPv4 address (::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are
    judged by that IPv4 address, because that is where the packets end up.
    """
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            ip = embedded
    if isinstance(ip, IPv4Address):
        if any(ip in network for network in NEVER_PUBLIC_V4):
            return False
    elif any(ip in network for network in NEVER_PUBLIC_V6):
        return False
    # is_global alone is not enough: it is True for 224.0.0.1 and some reserved ranges.
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _embedded_ipv4(ip: IPv6Address) -> IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64:
        return IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def check_url_syntax(url: str, *, allow_private: bool) -> str:
    """Return the normalized URL (lowercase scheme and host, IDNA host) or raise UnsafeURL.

    IP-literal hosts are checked here too; host names are checked when resolved.
    """
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"the URL is longer than {MAX_URL_LENGTH} characters")
    # yarl silently drops some control characters, which would hide what is being registered.
    if any(char.isspace() or not char.isprintable() for char in url):
        raise UnsafeURL("the URL must not contain spaces or control characters")
    try:
        parsed = URL(url)
        port = parsed.port
    except ValueError as exc:
        raise UnsafeURL(f"not a valid URL: {exc}") from None
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise UnsafeURL("the URL must start with http:// or https://")
    host = parsed.raw_host
    if not host:
        raise UnsafeURL("the URL must name a host")
    if parsed.raw_user is not None or parsed.raw_password is not None:
        raise UnsafeURL("the URL must not contain a user name or password")
    if parsed.raw_fragment:
        raise UnsafeURL("the URL must not contain a #fragment: it is never sent to the receiver")
    if not port:
        raise UnsafeURL("the URL's port must be between 1 and 65535")
    _check_host(host.lower(), allow_private=allow_private)
    return str(parsed)


def _check_host(host: str, *, allow_private: bool) -> None:
    if _is_ip_literal(host):
        if not allow_private and not is_public_address(host):
            raise UnsafeURL(f"{host} is not a public address")
        return
    if _is_legacy_ipv4(host):
        # 127.1, 0x7f000001, 2130706433 and 0177.0.0.1 all mean 127.0.0.1 to getaddrinfo.
        raise UnsafeURL(f"write the address {host} in dotted decimal form, like 192.0.2.10")
    labels = host.removesuffix(".").split(".")
    if not all(HOST_LABEL.fullmatch(label) for label in labels) or len(host) > 253:
        raise UnsafeURL(f"{host} is not a valid host name")
    if not allow_private and labels[-1] == "localhost":
        raise UnsafeURL(f"{host} is a loopback name")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _is_legacy_ipv4(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


async def check_destination(
    url: str, *, allow_private: bool, resolver: AbstractResolver | None = None
) -> str:
    """Registration-time check; returns the normalized URL.

    Raises UnsafeURL for a bad URL (including a non-public IP literal) and BlockedDestination if
    the host does not resolve or ANY of its addresses is not public. With allow_private only the
    syntax is checked and nothing is resolved. Both deserve a 422.
    """
    normalized = check_url_syntax(url, allow_private=allow_private)
    parsed = URL(normalized)
    host, port = parsed.raw_host, parsed.port
    assert host is not None and port is not None
    if allow_private or _is_ip_literal(host):
        return normalized
    lookup = resolver or aiohttp.ThreadedResolver()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            answers = await lookup.resolve(host, port, family=socket.AF_UNSPEC)
    except BlockedDestination:
        raise
    except OSError:  # includes socket.gaierror and TimeoutError
        answers = []
    finally:
        if resolver is None:
            await lookup.close()
    if not answers:
        raise BlockedDestination(f"{host} does not resolve")
    _refuse_non_public_answers(host, answers)
    return normalized


def _refuse_non_public_answers(host: str, answers: list[ResolveResult]) -> None:
    # One bad address refuses the lot: a mixed answer is the classic way to smuggle in 127.0.0.1.
    for answer in answers:
        if not is_public_address(answer["host"]):
            raise BlockedDestination(f"{host} resolves to {answer['host']}, not a public address")


class GuardedResolver(AbstractResolver):
    """Resolves like `inner` (ThreadedResolver by default) and refuses any non-public answer.

    aiohttp dials exactly the addresses a resolver returns, so a name that is rebound after
    registration is caught here at delivery. IP-literal URLs never reach a resolver.
    """

    def __init__(self, inner: AbstractResolver | None = None) -> None:
        self._owns_inner = inner is None
        self._inner = inner or aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        if not answers:
            raise OSError(f"{host} does not resolve")  # a DNS failure, not a policy refusal
        _refuse_non_public_answers(host, answers)
        return answers

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()


def open_public_socket(addr_info: AddrInfoType) -> socket.socket:
    """aiohttp socket_factory that refuses non-public addresses: it sees the exact address dialled,
    IP literals included, so it holds whatever the resolver did."""
    family, type_, proto, _, sockaddr = addr_info
    address = str(sockaddr[0])
    if not is_public_address(address):
        raise BlockedDestination(f"refusing to connect to {address}: not a public address")
    return socket.socket(family, type_, proto)


def guarded_connector(
    *,
    allow_private: bool,
    limit: int = 100,
    limit_per_host: int = 20,
    resolver: AbstractResolver | None = None,
) -> aiohttp.TCPConnector:
    """A pooling, keep-alive connector that only reaches public addresses (unless allow_private).

    Must be created inside a running event loop. A refused connect raises
    aiohttp.ClientConnectorDNSError (resolver) or aiohttp.ClientConnectorError (socket), both
    aiohttp.ClientError, carrying BlockedDestination as __cause__. Pair it with
    ClientSession(trust_env=False) and post(..., allow_redirects=False). `resolver` replaces the
    DNS lookup (tests); it is wrapped, never trusted.
    """
    if allow_private:
        return aiohttp.TCPConnector(limit=limit, limit_per_host=limit_per_host, resolver=resolver)
    return aiohttp.TCPConnector(
        limit=limit,
        limit_per_host=limit_per_host,
        resolver=GuardedResolver(resolver),
        socket_factory=open_public_socket,
    )


def blocked_reason(exc: BaseException) -> str | None:
    """The BlockedDestination message buried in an aiohttp error, or None if it wasn't a block."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, BlockedDestination):
            return str(current)
        if isinstance(current, aiohttp.ClientConnectorError):
            pending.append(current.os_error)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend((current.__cause__, current.__context__))
    return None
