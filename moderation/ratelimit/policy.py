"""The limits' policy, pure: which key a client or author is limited by, and the buckets a
site's settings give that key (kept in PostgreSQL by `store.ratelimits`)."""

from __future__ import annotations

import functools
import ipaddress

from ..domain import SiteSettings
from ..identity import IPAddress
from ..store.ratelimits import Bucket

HOUR = 3600.0


@functools.lru_cache(maxsize=65_536)
def network_key(address: IPAddress) -> str:
    """IPv4 per address; IPv6 per /64, which is what one subscriber usually gets."""
    if address.version == 6:
        mapped = address.ipv4_mapped
        if mapped is not None:
            return f"ip:{mapped}"
        return f"ip:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"ip:{address}"


def buckets_for(key: str, settings: SiteSettings) -> list[Bucket]:
    buckets = []
    if settings.flood_seconds > 0:
        buckets.append(Bucket(f"{key}:flood", float(settings.flood_seconds), 0.0))
    if settings.hourly_limit > 0:
        interval = HOUR / settings.hourly_limit
        buckets.append(Bucket(f"{key}:hour", interval, interval * (settings.hourly_limit - 1)))
    return buckets
