"""Who is posting: a keyed fingerprint of the author's email and the client's IP address."""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
from collections.abc import Sequence

from .config import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def email_fingerprint(secret_key: bytes, site_id: int, normalized_email: str) -> bytes:
    """HMAC-SHA256 keyed with the server secret and scoped to one site, so authors can't be
    linked across sites and nobody without the key can test a guessed address against it."""
    message = f"{site_id}:{normalized_email.casefold()}".encode()
    return hmac.new(secret_key, message, hashlib.sha256).digest()


def _address(text: str | None) -> IPAddress | None:
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None


# Enough for a dozen proxies' IPv6 hops; a longer header's left part is the client's own text.
MAX_FORWARDED_FOR = 512


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[IPNetwork, ...]
) -> IPAddress | None:
    """The peer address, or the X-Forwarded-For entry our own trusted proxies added.

    Walk the header from the right, skipping trusted proxies: the first address that is not
    one of ours is the client. Anything further left was written by the client and is ignored.
    The header is looked at only for a trusted peer, and at most its last MAX_FORWARDED_FOR
    characters: the remembered answers stay small whatever headers clients make up.
    """
    address = _peer_address(peer)
    if address is None or not forwarded_for or not is_trusted(address, trusted_proxies):
        return address
    return _forwarded_client(address, forwarded_for[-MAX_FORWARDED_FOR:], trusted_proxies)


@functools.lru_cache(maxsize=65_536)
def _peer_address(peer: str | None) -> IPAddress | None:
    # Pure, so remembered: the same clients come back request after request.
    return _address(peer)


@functools.lru_cache(maxsize=16_384)
def _forwarded_client(
    address: IPAddress, forwarded_for: str, trusted_proxies: tuple[IPNetwork, ...]
) -> IPAddress:
    for hop in reversed(forwarded_for.split(",")):
        hop_address = _address(hop)
        if hop_address is None:
            return address
        address = hop_address
        if not is_trusted(address, trusted_proxies):
            return address
    return address


def is_trusted(address: IPAddress, trusted_proxies: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in trusted_proxies)
