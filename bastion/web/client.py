"""The client's address and context, from the socket or from trusted proxies only."""

from __future__ import annotations

import ipaddress

from fastapi import Request
from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import Response

from bastion.context import Client
from bastion.crypto import KeyRing, constant_time_equal, hash_token, new_token

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DEVICE_COOKIE = "bastion_device"


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request: Request, trusted: list[Network]) -> str | None:
    """The socket peer; when it is a trusted proxy, the right-most untrusted X-Forwarded-For hop."""
    peer = request.client.host if request.client else None
    address = _parse_ip(peer) if peer else None
    if address is None:
        return peer
    if not any(address in network for network in trusted):
        return str(address)
    hops = [hop for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        hop_address = _parse_ip(hop)
        if hop_address is None:
            break
        if not any(hop_address in network for network in trusted):
            return str(hop_address)
    return str(address)


DEVICE_PREFIX = "d1."


def sign_device_id(keys: KeyRing, random_part: str) -> str:
    """`d1.<random>.<mac>`: a device identifier Bastion issued, recognisable without the database
    (the sign-in admission gate lets such devices through first under a flood)."""
    return f"{DEVICE_PREFIX}{random_part}.{keys.mac('device', random_part)[:32]}"


def is_signed_device_id(keys: KeyRing, value: str) -> bool:
    if not value.startswith(DEVICE_PREFIX) or len(value) > 120:
        return False
    random_part, _, mac = value[len(DEVICE_PREFIX):].rpartition(".")
    return bool(random_part) and len(mac) == 32 and any(
        constant_time_equal(mac, candidate[:32]) for candidate in keys.macs("device", random_part))


def signed_device_id(keys: KeyRing, headers: Headers) -> str | None:
    """The request's device identifier: the first of those it sent (`X-Device-Id`, then the device
    cookie) that Bastion signed. One it did not sign is as none — no device an account can come to
    know — so its sender is issued a signed one (requirements §18). Read from the headers alone: the
    sign-in door (bastion/web/admission.py) asks it before the request is one."""
    header = headers.get("x-device-id")
    if header and is_signed_device_id(keys, header):
        return header
    cookie = cookie_parser(headers.get("cookie", "")).get(DEVICE_COOKIE)
    return cookie if cookie and is_signed_device_id(keys, cookie) else None


def _bounded(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


def _device_key(device: str | None) -> str | None:
    """Devices are known by a hash of their identifier (requirements §18), never the identifier."""
    return hash_token(device) if device else None


def client_from(request: Request, new_device: str | None = None) -> Client:
    """`new_device`: a device identifier just made for a client that had no signed one."""
    settings = request.app.state.services.settings
    return Client(
        ip=client_ip(request, settings.trusted_proxy_networks),
        user_agent=_bounded(request.headers.get("user-agent"), 512),
        device_id=_device_key(signed_device_id(request.app.state.services.keys, request.headers) or new_device),
        platform=_bounded(request.headers.get("x-client-platform"), 16),
        version=_bounded(request.headers.get("x-client-version"), 32),
    )


def new_device_id(request: Request) -> str | None:
    """A fresh, signed device identifier when the client has no signed one yet (requirements §4, §18)."""
    if signed_device_id(request.app.state.services.keys, request.headers) is not None:
        return None
    return sign_device_id(request.app.state.services.keys, new_token())


def set_device_cookie(request: Request, response: Response, device: str | None) -> None:
    if device is None:
        return
    secure = request.app.state.services.settings.cookie_secure
    # Long-lived on purpose (browsers cap cookies at 400 days): it is what makes a device "known".
    response.set_cookie(DEVICE_COOKIE, device, max_age=400 * 86400, httponly=True, secure=secure,
                        samesite="lax", path="/")
