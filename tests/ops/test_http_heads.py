"""A request's head is bounded: one connection sending one endless header cannot hold the event loop."""

from __future__ import annotations

import contextlib
import socket

from bastion.ops.http_heads import HEAD_LIMIT, BoundedHeads
from bastion.ops.serving import uvicorn_options
from bastion.web.app import create_app
from tests.live import serving


def exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)  # (or answered and closed before the rest was sent)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := connection.recv(65536):
                answer += chunk
        return answer


def test_a_head_past_the_limit_is_answered_431_and_an_ordinary_one_is_served(services) -> None:  # type: ignore[no-untyped-def]
    assert uvicorn_options(services.settings)["http"] is BoundedHeads  # how `bastion serve` and the demo serve
    with serving(create_app(services, deliver_mail=False), http=BoundedHeads) as port:
        endless = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Filler: " + b"a" * (HEAD_LIMIT * 4)
        assert exchange(port, endless).startswith(b"HTTP/1.1 431 ")
        big_but_fair = (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: "
                        + b"b" * (HEAD_LIMIT // 2) + b"\r\n\r\n")
        assert exchange(port, big_but_fair).startswith(b"HTTP/1.1 200 ")
        # Two requests on one connection: the second head is counted from its own first byte.
        twice = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-A: " + b"c" * (HEAD_LIMIT // 2) + b"\r\n\r\n"
        answer = exchange(port, twice + twice.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1))
        assert answer.count(b"HTTP/1.1 200 ") == 2
