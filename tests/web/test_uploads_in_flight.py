"""Identity documents received at once are bounded, per process and per address: bursts of uploads
that never finished, from 80 addresses, grew the server from 1.7 to 4.5 GB and stalled it. An upload
takes a place only once its body passes its form's fields (its case checked by then), and gives
it back as its answer starts."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import HTTPException

from bastion.web.body_limit import BODY_GRACE_SECONDS, UPLOAD_PLACE_AFTER
from bastion.web.edge import UPLOAD_EVICTABLE_RATE, UPLOADS_IN_FLIGHT, UPLOADS_PER_ADDRESS, Edge

UPLOAD = "/v1/mfa-reset/some-case/documents"
PAST_THE_FIELDS = b"x" * (UPLOAD_PLACE_AFTER + 1024)


def upload_from(address: str, path: str = UPLOAD) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": path, "headers": [(b"content-length", b"5000000")],
            "client": (address, 40000)}


class ReadingApp:
    """Stands for the documents route: reads the body to its end, then answers; a refusal the edge
    raises from `receive` (bastion/web/body_limit.py) is answered with its status and headers."""

    def __init__(self) -> None:
        self.entered = 0

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        self.entered += 1
        status, headers = 200, []
        try:
            while (await receive()).get("more_body"):
                pass
        except HTTPException as refused:
            status = refused.status_code
            headers = [(name.lower().encode(), value.encode()) for name, value in (refused.headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"{}"})


async def trickled(edge: Edge, address: str, first: bytes, more: asyncio.Event,
                   then: tuple[asyncio.Event, bytes] | None = None, path: str = UPLOAD) -> tuple[int, dict[bytes, bytes]]:
    """An upload whose first `first` bytes arrive at once, `then`'s bytes once its event is set,
    and its end only once `more` is set: its answer's status and headers."""
    pieces: list[tuple[asyncio.Event | None, bytes]] = [(None, first), *([then] if then else [])]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pieces:
            event, body = pieces.pop(0)
            if event is not None:
                await event.wait()
            return {"type": "http.request", "body": body, "more_body": True}
        await more.wait()
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await edge(upload_from(address, path), receive, send)
    return int(sent[0]["status"]), dict(sent[0]["headers"])


def test_uploads_in_flight_are_bounded_per_address_and_in_all(services) -> None:  # type: ignore[no-untyped-def]
    async def run() -> None:
        edge = Edge(ReadingApp(), services=services)
        done = asyncio.Event()
        own = [asyncio.create_task(trickled(edge, "203.0.113.1", PAST_THE_FIELDS, done))
               for _ in range(UPLOADS_PER_ADDRESS)]
        await asyncio.sleep(0.01)
        status, headers = await trickled(edge, "203.0.113.1", PAST_THE_FIELDS, done)  # one too many from there
        assert status == 429 and headers[b"connection"] == b"close" and headers[b"retry-after"] == b"30"
        others = [asyncio.create_task(trickled(edge, f"198.51.100.{number}", PAST_THE_FIELDS, done))
                  for number in range(UPLOADS_IN_FLIGHT - UPLOADS_PER_ADDRESS)]
        await asyncio.sleep(0.01)
        assert (await trickled(edge, "192.0.2.7", PAST_THE_FIELDS, done, path="/recovery/case/documents"))[0] == 429
        small = asyncio.Event()
        small.set()
        assert (await trickled(edge, "192.0.2.8", b"csrf_token=x", small))[0] == 200  # within its fields: no place
        done.set()
        assert [(await task)[0] for task in (*own, *others)] == [200] * UPLOADS_IN_FLIGHT
        assert (await trickled(edge, "203.0.113.1", PAST_THE_FIELDS, done))[0] == 200  # all answered: room again

    asyncio.run(run())


def test_headers_alone_hold_no_place(services) -> None:  # type: ignore[no-untyped-def]
    """Sixteen uploads' headers, each sent and never followed by a body, held every place before any
    case was checked: 200 bytes a second, no account, turned everyone's documents away."""
    async def run() -> None:
        edge = Edge(ReadingApp(), services=services)
        silent = asyncio.Event()
        holders = [asyncio.create_task(trickled(edge, f"198.51.100.{number // 2}", b"", silent))
                   for number in range(2 * UPLOADS_IN_FLIGHT)]
        await asyncio.sleep(0.01)
        done = asyncio.Event()
        done.set()
        assert (await trickled(edge, "203.0.113.9", PAST_THE_FIELDS, done))[0] == 200
        silent.set()
        await asyncio.gather(*holders)

    asyncio.run(run())


def test_with_every_place_taken_a_new_upload_takes_the_place_of_the_slowest_trickle(services) -> None:  # type: ignore[no-untyped-def]
    """The places held with an attacker's own recovery cases, each body trickled at the 1 KiB/s all
    bodies must keep, turned everyone's documents away. Once past its grace, an upload under
    UPLOAD_EVICTABLE_RATE, or paused UPLOAD_IDLE_SECONDS, gives its place to a newcomer; one
    arriving faster keeps it."""
    async def run() -> None:
        now = [0.0]
        edge = Edge(ReadingApp(), services=services)
        edge.clock = lambda: now[0]
        never = asyncio.Event()
        slow = [asyncio.create_task(trickled(edge, f"198.51.100.{number}", PAST_THE_FIELDS + b"x" * 1024 * number,
                                             never)) for number in range(UPLOADS_IN_FLIGHT)]
        await asyncio.sleep(0.01)
        now[0] = 9.0  # within their grace: no place for a newcomer
        person = asyncio.Event()
        assert (await trickled(edge, "203.0.113.9", PAST_THE_FIELDS, person))[0] == 429
        now[0] = BODY_GRACE_SECONDS + 1
        arriving = asyncio.create_task(trickled(edge, "203.0.113.9", PAST_THE_FIELDS, person))
        await asyncio.sleep(0.01)
        assert slow[0].done() and (await slow[0])[0] == 408  # the slowest, cut off at once
        assert not any(task.done() for task in slow[1:])
        person.set()
        assert (await arriving)[0] == 200

        fast = Edge(ReadingApp(), services=services)  # places held by uploads arriving fast: kept,
        fast.clock = lambda: now[0]  # unless one has paused: it goes first, whatever its average
        now[0] = 0.0
        still_coming = asyncio.Event()
        piece = b"x" * (UPLOAD_EVICTABLE_RATE * 20)
        quick = [asyncio.create_task(trickled(fast, f"198.51.100.{number}", piece, never,
                                              then=(still_coming, piece) if number else None))
                 for number in range(UPLOADS_IN_FLIGHT)]
        await asyncio.sleep(0.01)
        now[0] = BODY_GRACE_SECONDS + 1
        still_coming.set()  # every one's next piece comes but the first one's
        await asyncio.sleep(0.01)
        arriving = asyncio.create_task(trickled(fast, "203.0.113.9", PAST_THE_FIELDS, never))
        await asyncio.sleep(0.01)
        assert (await quick[0])[0] == 408 and not any(task.done() for task in quick[1:])
        assert (await trickled(fast, "203.0.113.10", PAST_THE_FIELDS, never))[0] == 429  # the rest arrive fast: kept
        for task in (*slow[1:], *quick[1:], arriving):
            task.cancel()

    asyncio.run(run())


def test_an_upload_whose_answer_waits_for_its_reader_holds_no_place(services) -> None:  # type: ignore[no-untyped-def]
    """Answers left unread earlier on the connection (pipelined, a tiny receive window) kept each
    upload's answer waiting, and its place with it: 16 connections held every place for 200 B/s."""
    async def run() -> None:
        app = ReadingApp()
        edge = Edge(app, services=services)
        reader_reads = asyncio.Event()
        statuses: list[int] = []

        async def whole(address: str, reads: asyncio.Event) -> None:
            chunks = [(PAST_THE_FIELDS, True), (b"", False)]  # a place claimed for the second

            async def receive() -> dict[str, Any]:
                body, more = chunks.pop(0)
                return {"type": "http.request", "body": body, "more_body": more}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])
                await reads.wait()  # the connection's earlier answers may still be unread

            await edge(upload_from(address), receive, send)

        waiting = [asyncio.create_task(whole(f"198.51.100.{number // 2}", reader_reads))
                   for number in range(UPLOADS_IN_FLIGHT)]
        await asyncio.sleep(0.01)
        assert app.entered == UPLOADS_IN_FLIGHT and not any(task.done() for task in waiting)
        reads_at_once = asyncio.Event()
        reads_at_once.set()
        await whole("203.0.113.9", reads_at_once)  # a place was free
        assert 429 not in statuses
        reader_reads.set()
        await asyncio.gather(*waiting)

    asyncio.run(run())


class RefusingOnItsFields:
    """Stands for the route refusing a form on its first piece (no case checked: the file did not
    begin within the fields' 64 KiB), its refusal rendered on a thread before it is answered."""

    def __init__(self) -> None:
        self.rendered = asyncio.Event()

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await receive()
        await self.rendered.wait()
        await send({"type": "http.response.start", "status": 422, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def test_a_body_refused_on_its_fields_claims_no_place(services) -> None:  # type: ignore[no-untyped-def]
    """A place claimed as the body passed 64 KiB in one piece, before the route read it, was held by
    a request whose case was never checked, for as long as its refusal took: 150 connections
    sending 66 KB forms took places now and then. A place is claimed when more is asked for."""
    async def run() -> None:
        app = RefusingOnItsFields()
        edge = Edge(app, services=services)
        never = asyncio.Event()
        refused = [asyncio.create_task(trickled(edge, f"198.51.100.{number}", PAST_THE_FIELDS, never))
                   for number in range(UPLOADS_IN_FLIGHT + 2)]
        await asyncio.sleep(0.01)
        assert not edge._upload_addresses
        app.rendered.set()
        assert [(await task)[0] for task in refused] == [422] * (UPLOADS_IN_FLIGHT + 2)

    asyncio.run(run())
