"""HEAD is answered wherever GET is (RFC 9110 §9.3.2): a monitor or a link checker that asks
with HEAD sees what a GET would answer, without the body."""

from __future__ import annotations

import socket

from bastion.web.app import create_app
from tests.live import serving


def exchange(port: int, request: bytes) -> bytes:
    """The server's whole answer to `request` on a connection it closes after answering."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def test_head_answers_as_get_does_without_the_body(services) -> None:  # type: ignore[no-untyped-def]
    with serving(create_app(services, deliver_mail=False)) as port:
        for path in (b"/v1/help/reasons", b"/login", b"/v1/session"):
            request = b" " + path + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
            got = exchange(port, b"GET" + request)
            headed = exchange(port, b"HEAD" + request)
            got_head, _, got_body = got.partition(b"\r\n\r\n")
            status_line, _, headers = headed.partition(b"\r\n")
            assert status_line == got_head.split(b"\r\n")[0]  # 200 for the pages, 401 without a session
            assert headers.endswith(b"\r\n\r\n")  # the head, and nothing after it
            assert got_body and (b"content-length: %d" % len(got_body) in headers.lower() or b"chunked" in headers)
