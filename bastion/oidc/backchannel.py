"""Posting logout tokens to the apps' back-channel addresses, so that no app can hold Bastion up.

Each POST has a hard wall-clock deadline for the whole exchange (resolve, connect, TLS, send, the
answer's status line and headers): a receiver that answers a byte at a time is abandoned at the
deadline and retried later, like one that is down. The posts of a batch run side by side, on their
own thread (`BackchannelWorker`), apart from mail, audit sealing and recovery cases. An address on
an internal network (private, loopback, link-local, …) is refused unless allowed (dev mode, or
BASTION_OIDC_BACKCHANNEL_ALLOW_INTERNAL): at registration by its name, here by where it resolves.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import ssl
from collections.abc import Sequence
from urllib.parse import urlsplit

from bastion.config import Settings

log = logging.getLogger("bastion.oidc")

DEADLINE_SECONDS = 10.0  # the whole POST; the claim on a delivery (logout.CLAIM_FOR) lasts well beyond it
MAX_HEADER_BYTES = 16 * 1024
# Names that only ever mean a machine inside the network (RFC 6761, RFC 6762, RFC 8375).
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa", ".intranet", ".corp")


class NotDelivered(Exception):
    """The app answered, but not with a 2xx (Back-Channel Logout §2.8): kept, and tried again later."""


class InternalAddress(Exception):
    """The back-channel address leads into an internal network, which is not allowed here."""


def internal_allowed(settings: Settings) -> bool:
    return settings.is_dev or settings.oidc_backchannel_allow_internal


def is_internal_ip(value: str) -> bool:
    address = ipaddress.ip_address(value.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def is_internal_host(host: str) -> bool:
    """Whether a registered address's host names the inside of a network (by itself, before any look-up)."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        return is_internal_ip(host)
    except ValueError:
        return host == "localhost" or "." not in host or host.endswith(INTERNAL_SUFFIXES)


async def _post(uri: str, body: bytes, allow_internal: bool) -> int:
    """One HTTP/1.1 POST; returns the answer's status (its body is not read)."""
    parts = urlsplit(uri)
    https = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    address = str(found[0][4][0])  # an IP address's text for the internet families asked for here
    if not allow_internal and is_internal_ip(address):
        raise InternalAddress(f"{host} resolves to an internal address")
    # Connect to the address just checked (a second look-up could answer differently).
    reader, writer = await asyncio.open_connection(
        address, port, ssl=ssl.create_default_context() if https else None, server_hostname=host if https else None,
        limit=MAX_HEADER_BYTES)
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = (f"POST {target} HTTP/1.1\r\nHost: {parts.netloc.rpartition('@')[2]}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\nUser-Agent: Bastion\r\n\r\n")
        writer.write(head.encode("ascii") + body)
        await writer.drain()
        answer = await reader.readuntil(b"\r\n\r\n")  # the status line and headers, at most MAX_HEADER_BYTES
        status = answer.split(b"\r\n", 1)[0].split(b" ", 2)
        if len(status) < 2 or not status[0].startswith(b"HTTP/") or not status[1].isdigit():
            raise NotDelivered("not an HTTP answer")
        return int(status[1])
    finally:
        writer.close()


async def _deliver(uri: str, body: bytes, allow_internal: bool, deadline: float) -> Exception | None:
    try:
        status = await asyncio.wait_for(_post(uri, body, allow_internal), deadline)
    except Exception as failure:  # unreachable, refused, too slow, not HTTP: kept and tried again later
        return failure
    # No redirect is followed: a logout token goes to the registered address only.
    return None if 200 <= status < 300 else NotDelivered(f"answered HTTP {status}")


def post_all(posts: Sequence[tuple[str, bytes]], allow_internal: bool) -> list[Exception | None]:
    """POST each (address, form body) side by side, each within DEADLINE_SECONDS; per post, None
    when the app answered 2xx, else what went wrong."""
    async def every() -> list[Exception | None]:
        return list(await asyncio.gather(*(_deliver(uri, body, allow_internal, DEADLINE_SECONDS)
                                           for uri, body in posts)))

    return asyncio.run(every()) if posts else []

