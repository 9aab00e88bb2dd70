"""Session checks answered before they are ASGI requests, served as `bastion serve` serves them.

A check answered 200 from memory is written by the protocol at once (bastion/ops/http_heads.py,
`Edge.answer_at_once`): it must be the answer the usual way gives, byte for byte but the date, and
everything else (refusals, sessions to read, what HTTP makes special) must still take the usual way.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest

from bastion.ops.http_heads import PIPELINE_LIMIT, BoundedHeads
from bastion.sessions.service_keys import create_service_key
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD
from tests.live import serving


class Counted(BoundedHeads):
    """The protocol, counting the answers it wrote at once."""

    at_once: ClassVar[list[bytes]] = []

    def _answer_at_once(self) -> bytes | None:
        answer = super()._answer_at_once()
        if answer is not None:
            Counted.at_once.append(answer)
        return answer


@contextmanager
def served(services: Any) -> Iterator[int]:
    Counted.at_once = []
    with serving(create_app(services, deliver_mail=False), http=Counted, access_log=False) as port:
        yield port


def exchange(port: int, *requests: bytes, answers: int | None = None) -> list[bytes]:
    """The answers to `requests`, sent down one connection at once (pipelined)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"".join(requests))
        received = b""
        while received.count(b"HTTP/1.1 ") < (answers or len(requests)) or not _whole(received):
            chunk = connection.recv(65536)
            if not chunk:
                break
            received += chunk
    return [b"HTTP/1.1 " + part for part in received.split(b"HTTP/1.1 ")[1:]]


def _whole(received: bytes) -> bool:
    head, _, body = received.rpartition(b"HTTP/1.1 ")[2].partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    return len(body) >= length


def get(token: str, extra: bytes = b"") -> bytes:
    return b"GET /v1/session HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token.encode() + b"\r\n" + extra + b"\r\n"


def introspect(key: str, token: str, extra: bytes = b"") -> bytes:
    body = json.dumps({"token": token}).encode()
    return (b"POST /v1/introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode() +
            b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(body) + extra + b"\r\n" + body)


def without_date(answer: bytes) -> bytes:
    return b"\r\n".join(line for line in answer.split(b"\r\n") if not line.lower().startswith(b"date:"))


@pytest.fixture
def token(services, account_factory, app_client) -> str:  # type: ignore[no-untyped-def]
    answer = app_client.post("/v1/login", json={"email": account_factory()["email"], "password": DEFAULT_PASSWORD})
    return str(answer.json()["session"]["token"])


def test_a_cached_session_is_answered_at_once_as_the_usual_way_answers_it(services, token) -> None:  # type: ignore[no-untyped-def]
    key, _ = create_service_key(services, "platform")
    with served(services) as port:
        usual = exchange(port, get(token), introspect(key, token))  # the first: read from the database
        assert Counted.at_once == []
        at_once = exchange(port, get(token), introspect(key, token), get(token, b"Accept-Language: es\r\n"))
        assert len(Counted.at_once) == 3 and all(answer.startswith(b"HTTP/1.1 200 OK\r\n") for answer in at_once)
        assert [without_date(answer) for answer in at_once[:2]] == [without_date(answer) for answer in usual]
        assert b"\r\ncontent-language: es\r\n" in at_once[2]
        assert json.loads(at_once[1].partition(b"\r\n\r\n")[2])["active"] is True
        # A token refused, or a session this node never read, takes the usual way.
        refused = exchange(port, get("bst_" + "x" * 43))[0]
        assert refused.startswith(b"HTTP/1.1 401 ") and b'"code":"session.invalid"' in refused
        assert len(Counted.at_once) == 3
        inactive = exchange(port, introspect(key, "bst_" + "x" * 43))[0]
        assert json.loads(inactive.partition(b"\r\n\r\n")[2]) == {"active": False, "restrictions": []}
        assert len(Counted.at_once) == 4  # the introspection of a refused token is a 200 from memory too


@pytest.mark.parametrize("extra", [b"Connection: close\r\n", b"Expect: 100-continue\r\n"], ids=["close", "expect"])
def test_what_http_makes_special_takes_the_usual_way(services, token, extra) -> None:  # type: ignore[no-untyped-def]
    key, _ = create_service_key(services, "platform")
    with served(services) as port:
        exchange(port, get(token), introspect(key, token))
        if extra.startswith(b"Expect"):
            answers = exchange(port, introspect(key, token, extra), answers=2)
            assert answers[0] == b"HTTP/1.1 100 Continue\r\n\r\n" and answers[1].startswith(b"HTTP/1.1 200 ")
        else:
            answers = exchange(port, get(token, extra))
            assert answers[0].startswith(b"HTTP/1.1 200 ") and b"\r\nconnection: close\r\n" in answers[0]
        old = exchange(port, get(token).replace(b"HTTP/1.1", b"HTTP/1.0"), answers=1)
        assert old[0].startswith(b"HTTP/1.1 200 ")
        query = exchange(port, get(token).replace(b"/v1/session", b"/v1/session?x=1"))
        assert query[0].startswith(b"HTTP/1.1 200 ")
        large = json.dumps({"token": token, "padding": "x" * 5000}).encode()
        oversized = (b"POST /v1/introspect HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode() +
                     b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(large) + large)
        assert exchange(port, oversized)[0].startswith(b"HTTP/1.1 ")
        assert Counted.at_once == []


def test_answers_keep_their_order_behind_one_the_usual_way_answers(services, token) -> None:  # type: ignore[no-untyped-def]
    with served(services) as port:
        exchange(port, get(token))
        answers = exchange(port, b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n", get(token), get(token))
        assert b'"status"' in answers[0] or answers[0].startswith(b"HTTP/1.1 200 ")
        assert [answer.split(b"\r\n")[0] for answer in answers] == [b"HTTP/1.1 200 OK"] * 3
        assert all(b'"account"' in answer for answer in answers[1:])  # (behind one being answered: queued)


def test_answers_at_once_are_measured_and_keep_the_session_in_use(services, token, app_client) -> None:  # type: ignore[no-untyped-def]
    with served(services) as port:
        exchange(port, get(token))
        before = _count(app_client)
        exchange(port, get(token), get(token))
        assert len(Counted.at_once) == 2
        assert _count(app_client) == before + 2


def _count(client: Any) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("bastion_request_seconds_count",
                                     {"method": "GET", "route": "/v1/session", "status": "2xx"}) or 0.0


def test_a_body_that_does_not_come_with_its_head_takes_the_usual_way(services, token) -> None:  # type: ignore[no-untyped-def]
    """Held for an answer at once, a body trickled a byte at a time escaped every body deadline: the
    request is handed to the usual way (and its deadlines) when its head's read ends without it."""
    key, _ = create_service_key(services, "platform")
    request = introspect(key, token)
    head, _, body = request.partition(b"\r\n\r\n")
    with served(services) as port:
        exchange(port, request)  # the session and the key read, the usual way
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(head + b"\r\n\r\n")
            time.sleep(0.2)  # (read apart from the head)
            connection.sendall(body)
            answer = connection.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 ") and b'"active":true' in answer
        assert Counted.at_once == []
        assert exchange(port, request)[0].startswith(b"HTTP/1.1 200 ") and len(Counted.at_once) == 1


def test_a_connection_pipelining_checks_is_bounded_as_any_other(services, token) -> None:  # type: ignore[no-untyped-def]
    """A thousand checks sent down one connection were answered in one go, holding every other answer:
    a read's first PIPELINE_LIMIT are answered at once, the rest queued the usual way, and bounded."""
    with served(services) as port:
        exchange(port, get(token))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(get(token) * 400)
            received = b""
            while chunk := connection.recv(65536):  # until the server closes it
                received += chunk
        answered = received.count(b"HTTP/1.1 200 OK")
        assert PIPELINE_LIMIT < answered <= 3 * PIPELINE_LIMIT + 1, answered  # then closed, as the usual way does
        assert len(Counted.at_once) <= 2 * PIPELINE_LIMIT


def test_fields_after_a_chunked_body_are_not_headers(services, token) -> None:  # type: ignore[no-untyped-def]
    """Credentials in a chunked body's trailer section were taken for the request's own."""
    key, _ = create_service_key(services, "platform")
    body = json.dumps({"token": token}).encode()
    trailed = (b"POST /v1/introspect HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\nTrailer: Authorization\r\n\r\n" + b"%x\r\n" % len(body) + body +
               b"\r\n0\r\nAuthorization: Bearer " + key.encode() + b"\r\n\r\n")
    session = (b"GET /v1/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"0\r\nAuthorization: Bearer " + token.encode() + b"\r\n\r\n")
    with served(services) as port:
        exchange(port, introspect(key, token), get(token))
        for request in (trailed, session):
            assert exchange(port, request)[0].startswith(b"HTTP/1.1 401 "), request[:30]
        assert len(Counted.at_once) == 0
