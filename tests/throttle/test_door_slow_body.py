"""A request takes its place in the sign-in queue only once its body has arrived whole: a body
trickled a byte at a time holds a connection, never a place a person arriving meanwhile needs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.requests import ClientDisconnect

from bastion.errors import BastionError
from bastion.services import Services
from bastion.throttle.admission import HashGate, HashTime
from bastion.web.app import DOOR_ANSWERS, create_app
from bastion.web.body_limit import whole_body
from bastion.web.edge import Edge

BODY = json.dumps({"email": "someone@example.com", "password": "a long enough password"}).encode()


class EchoApp:
    """Stands for the application: answers each request with the body it read, once released."""

    def __init__(self) -> None:
        self.entered = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.entered += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})


def edge_over(services: Services, app: Any, places: int) -> Edge:
    """The edge, its queue (one core, 1 s a hash) holding `places` requests, its refusals answered as the routes answer them."""
    services.hash_gate.close()
    services.hash_gate = HashGate(concurrency=1, budget_seconds=places - 1, hash_time=HashTime(1.0, weight=0.0))
    return Edge(app, services, door_answers=DOOR_ANSWERS)


def login_scope(services: Services, ip: str = "198.51.100.7") -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": "/v1/login", "client": (ip, 40000), "query_string": b"",
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())],
            "app": create_app(services, deliver_mail=False)}


async def ask(edge: Edge, scope: dict[str, Any], chunks: list[bytes], stall: asyncio.Event | None = None,
              headers: dict[bytes, bytes] | None = None) -> tuple[int, bytes]:
    """The request, its body sent as `chunks`; with `stall`, the last chunk waits for it."""
    messages: list[Any] = []

    async def receive() -> Any:
        if len(chunks) == 1 and stall is not None:
            await stall.wait()
        if not chunks:
            await asyncio.Event().wait()  # the client says nothing more
        return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}

    async def send(message: Any) -> None:
        messages.append(message)

    await edge(scope, receive, send)
    if headers is not None:
        headers.update(messages[0]["headers"])
    return messages[0]["status"], b"".join(message.get("body", b"") for message in messages[1:])


def test_a_body_still_arriving_holds_no_place_and_the_route_reads_it_whole(services: Services) -> None:
    async def run() -> None:
        app = EchoApp()
        edge = edge_over(services, app, places=2)
        stall = asyncio.Event()
        trickled = asyncio.create_task(ask(edge, login_scope(services), [BODY[:5], BODY[5:]], stall))
        await asyncio.sleep(0.01)
        assert services.hash_gate.state()["queued"] == 0 and app.entered == 0  # headers and five bytes: no place
        people = [asyncio.create_task(ask(edge, login_scope(services), [BODY])) for _ in range(2)]
        await asyncio.sleep(0.01)
        assert app.entered == 2 and services.hash_gate.state()["queued"] == 2  # the two places are theirs
        app.release.set()
        assert [await person for person in people] == [(200, BODY), (200, BODY)]
        stall.set()
        assert await trickled == (200, BODY)  # arrived whole at last: it took its place, the route read it all
        assert services.hash_gate.state()["queued"] == 0

    asyncio.run(run())


def test_a_body_that_does_not_arrive_in_time_is_refused_with_request_timeout(services: Services) -> None:
    async def run() -> None:
        app = EchoApp()
        edge = edge_over(services, app, places=2)
        edge.door.body_seconds = 0.05
        headers: dict[bytes, bytes] = {}
        status, body = await ask(edge, login_scope(services), [BODY[:5], BODY[5:]], asyncio.Event(), headers)
        assert headers[b"connection"] == b"close"  # the rest of the body would be read as the next request
        problem = json.loads(body)
        assert status == 408 and problem["code"] == "request.timeout" and problem["reference"].startswith("R-")
        assert problem["help"]  # the steps to take
        assert app.entered == 0 and services.hash_gate.state()["queued"] == 0

    asyncio.run(run())


def test_a_flood_is_refused_before_its_body_is_read(services: Services) -> None:
    async def run() -> None:
        app = EchoApp()
        edge = edge_over(services, app, places=1)
        holder = asyncio.create_task(ask(edge, login_scope(services), [BODY]))
        await asyncio.sleep(0.01)
        unread = [BODY]
        assert (await ask(edge, login_scope(services), unread))[0] == 429
        assert unread == [BODY]  # never asked for
        app.release.set()
        assert (await holder)[0] == 200

    asyncio.run(run())


def test_a_whole_body_is_capped_and_a_client_gone_is_no_body() -> None:
    scope = {"method": "POST", "path": "/v1/login", "headers": [(b"transfer-encoding", b"chunked")]}

    def receiving(*messages: dict[str, Any]) -> Any:
        pending = list(messages)

        async def receive() -> Any:
            return pending.pop(0)

        return receive

    big = {"type": "http.request", "body": b"x" * (1024 * 1024 + 1), "more_body": True}
    with pytest.raises(BastionError) as refused:
        asyncio.run(whole_body(scope, receiving(big), 1.0))
    assert refused.value.code == "request.too_large"
    with pytest.raises(ClientDisconnect):
        asyncio.run(whole_body(scope, receiving({"type": "http.request", "body": b"{", "more_body": True},
                                                {"type": "http.disconnect"}), 1.0))
    assert asyncio.run(whole_body({"method": "POST", "path": "/v1/login", "headers": []}, receiving(), 1.0)) == b""
