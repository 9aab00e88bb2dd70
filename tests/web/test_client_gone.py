"""A client that goes away while its body is being read gets no answer worth recording: no 500,
no refusal row, no error in the log."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from bastion.help.models import Refusal
from bastion.sessions.service_keys import create_service_key
from bastion.web.app import create_app
from bastion.web.body_limit import DOCUMENTS_PAGE, BodyTooSlow, limited_receive


def refusal_rows(services) -> int:  # type: ignore[no-untyped-def]
    with services.db.reading() as reader:
        return int(reader.execute(select(func.count()).select_from(Refusal)).scalar_one())


def test_a_body_cut_short_is_neither_an_error_nor_a_refusal(services, caplog) -> None:
    app = create_app(services, deliver_mail=False)
    key, _ = create_service_key(services, "platform")
    # Chunked, so the introspection is read by its route rather than answered at the edge.
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "path": "/v1/introspect", "raw_path": b"/v1/introspect", "query_string": b"", "root_path": "",
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 40000),
             "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {key}".encode()),
                         (b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]}
    messages = [{"type": "http.request", "body": b'{"tok', "more_body": True}, {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    before = refusal_rows(services)
    with caplog.at_level("ERROR"):
        asyncio.run(app(scope, receive, send))
    statuses = [message["status"] for message in sent if message["type"] == "http.response.start"]
    assert statuses and statuses[0] != 500
    assert refusal_rows(services) == before
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


def test_a_body_that_stops_arriving_is_answered_408_and_the_connection_closed(services, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Every route, not only those behind the sign-in door: a body held open holds its bytes in memory."""
    monkeypatch.setattr("bastion.web.body_limit.DEFAULT_SECONDS", 0.05)
    app = create_app(services, deliver_mail=False)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "path": "/v1/password-reset", "raw_path": b"/v1/password-reset", "query_string": b"", "root_path": "",
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 40000),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"content-length", b"1000")]}
    first = [{"type": "http.request", "body": b'{"email": "someone@', "more_body": True}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if first:
            return first.pop()
        await asyncio.Event().wait()  # the rest never comes
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    before = refusal_rows(services)
    asyncio.run(app(scope, receive, send))
    headers = dict(sent[0]["headers"])
    assert sent[0]["status"] == 408 and headers[b"connection"] == b"close"
    assert b'"request.timeout"' in b"".join(message.get("body", b"") for message in sent[1:])
    assert refusal_rows(services) == before + 1  # a refusal like any other: support can look it up


def test_a_body_trickled_below_the_minimum_rate_is_refused_long_before_its_deadline(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An upload's deadline is fifteen minutes: a byte every ten seconds held its connection for all
    of them. After the grace, a body keeps coming at the minimum rate, or is refused; one that does passes."""
    monkeypatch.setattr("bastion.web.body_limit.BODY_GRACE_SECONDS", 0.2)
    monkeypatch.setattr("bastion.web.body_limit.MIN_BODY_RATE", 100)
    scope = {"method": "POST", "path": DOCUMENTS_PAGE, "headers": [(b"content-length", b"300")]}

    def arriving(piece: int, every: float) -> Any:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(every)
            return {"type": "http.request", "body": b"x" * piece, "more_body": True}

        return receive

    async def read(receive: Any, pieces: int) -> float:
        started = asyncio.get_running_loop().time()
        capped = limited_receive(scope, receive)
        for _ in range(pieces):
            await capped()
        return asyncio.get_running_loop().time() - started

    with pytest.raises(BodyTooSlow):
        asyncio.run(read(arriving(1, 0.05), 100))  # 20 bytes a second: refused soon after the grace
    assert asyncio.run(read(arriving(20, 0.05), 12)) < 1  # 400 bytes a second: read on


def test_a_body_that_pauses_too_long_between_pieces_is_refused_whatever_came_before(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Megabytes sent at once bought minutes of silence under the average rate alone (and a place
    among the uploads all the while)."""
    monkeypatch.setattr("bastion.web.body_limit.BODY_STALL_SECONDS", 0.2)
    scope = {"method": "POST", "path": DOCUMENTS_PAGE, "headers": [(b"content-length", b"5000000")]}
    pieces = [0.0, 0.1, 0.5]  # how long each piece takes to come: the third, too long

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(pieces.pop(0))
        return {"type": "http.request", "body": b"x" * 1_000_000, "more_body": True}

    async def read() -> None:
        capped = limited_receive(scope, receive)
        for _ in range(3):
            await capped()

    with pytest.raises(BodyTooSlow):
        asyncio.run(read())
    assert pieces == []  # the first two were read
