"""What Bastion knows about the client making a request (never trusted for authentication)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Client:
    ip: str | None = None
    user_agent: str | None = None
    device_id: str | None = None
    platform: str | None = None
    version: str | None = None


def host_of(ip: str) -> str:
    """What one host holds of the address space: an IPv4 address, or an IPv6 address's /64 (a host
    is commonly given a whole /64 and may send from any address in it). Anything else as it is."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    return host_of_address(address)


def host_of_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """`host_of` for an address already parsed."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
