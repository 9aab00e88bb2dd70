"""Offline geolocation with geoip2fast: country and AS organisation of an address (requirements §18-19).

The database (GeoLite2 data shipped in the geoip2fast wheel, IPv4 + IPv6 + ASN) takes ~170 MB and
0.2–0.6 s to load, so it is loaded lazily, once per process, under a lock, and shared. Lookups go
through a small LRU. Private, loopback, reserved and malformed addresses — and anything the
database does not know — are an unknown location, never an error. The data has no cities: a
location reads "Germany". It carries AS organisation *names*, not numbers (see `policy.py`).
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DATA_FILE = "geoip2fast-asn-ipv6.dat.gz"


@dataclass(frozen=True, slots=True)
class Location:
    country: str | None = None  # ISO 3166-1 alpha-2
    country_name: str | None = None
    asn_name: str | None = None

    @property
    def known(self) -> bool:
        return self.country is not None


UNKNOWN = Location()

_lock = threading.Lock()
_database: Any = None


def database() -> Any:
    """The process's one GeoIP2Fast instance, loaded on first use."""
    global _database
    if _database is None:
        with _lock:
            if _database is None:
                from geoip2fast import GeoIP2Fast  # type: ignore[import-untyped]

                _database = GeoIP2Fast(geoip2fast_data_file=DATA_FILE)
    return _database


@lru_cache(maxsize=4096)
def public_address(ip: str | None) -> str | None:
    """The address in canonical form when it is a public unicast one, else None (remembered: a
    sign-in locates its address for the risk check, the device and the attempt)."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        return None
    return str(address)


@lru_cache(maxsize=4096)
def _lookup(address: str) -> Location:
    try:
        found = database().lookup(address)
    except Exception:  # a lookup must never break a sign-in
        return UNKNOWN
    code = getattr(found, "country_code", "") or ""
    if len(code) != 2 or not code.isalpha() or getattr(found, "is_private", False):
        return UNKNOWN
    name = getattr(found, "country_name", "") or code
    asn = (getattr(found, "asn_name", "") or "")[:100] or None
    return Location(code.upper(), name, asn)


def locate(ip: str | None) -> Location:
    address = public_address(ip)
    return _lookup(address) if address else UNKNOWN
