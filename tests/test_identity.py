"""Author fingerprints and client addresses."""

from __future__ import annotations

import ipaddress

from moderation import identity
from moderation.identity import client_address, email_fingerprint

KEY = b"k" * 32
PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


def test_the_fingerprint_ignores_case_and_differs_per_site_and_key() -> None:
    a = email_fingerprint(KEY, 1, "Sara@example.com")
    assert a == email_fingerprint(KEY, 1, "sara@example.com")
    assert a != email_fingerprint(KEY, 2, "sara@example.com")
    assert a != email_fingerprint(b"x" * 32, 1, "sara@example.com")
    assert email_fingerprint(KEY, 1, "سارة@مثال.مصر") != a


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() -> None:
    assert str(client_address("203.0.113.9", "198.51.100.1", PROXIES)) == "203.0.113.9"
    assert str(client_address("203.0.113.9", "198.51.100.1", ())) == "203.0.113.9"


def test_behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() -> None:
    assert (
        str(client_address("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.5", PROXIES))
        == "198.51.100.7"
    )
    assert str(client_address("10.0.0.2", "garbage", PROXIES)) == "10.0.0.2"
    assert str(client_address("fd00::1", "2001:db8::5", PROXIES)) == "2001:db8::5"


def test_an_unparseable_peer_has_no_address() -> None:
    assert client_address(None, None, PROXIES) is None
    assert client_address("not-an-ip", None, PROXIES) is None


def test_forwarded_headers_made_up_by_clients_are_not_remembered() -> None:
    identity._forwarded_client.cache_clear()
    for n in range(200):
        address = client_address("203.0.113.9", f"{n}.0.0.1, " + "x" * 8000, PROXIES)
        assert str(address) == "203.0.113.9"
    assert identity._forwarded_client.cache_info().currsize == 0
    # Behind our proxy only the header's last MAX_FORWARDED_FOR characters are read and kept.
    padded = "y" * 8000 + ", 198.51.100.7"
    assert str(client_address("10.0.0.2", padded, PROXIES)) == "198.51.100.7"
    assert identity._forwarded_client.cache_info().currsize == 1
