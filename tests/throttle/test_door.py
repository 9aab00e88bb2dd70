"""The sign-in admission door: beyond the queue's budget unknown devices get a fast 429, recognised devices pass."""

from __future__ import annotations

import asyncio
import json

from bastion.throttle.admission import HashGate, HashTime
from bastion.web.admission import PER_DEVICE_IN_FLIGHT, PER_DEVICE_PER_MINUTE
from bastion.web.client import is_signed_device_id, sign_device_id
from bastion.web.edge import Edge


class SlowApp:
    """Stands for the application: holds each request until released."""

    def __init__(self) -> None:
        self.entered = 0
        self.release = asyncio.Event()

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        self.entered += 1
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def scope(headers: list[tuple[bytes, bytes]] | None = None, path: str = "/v1/login"):  # type: ignore[no-untyped-def]
    return {"type": "http", "method": "POST", "path": path, "headers": headers or []}


async def call(door: Edge, request_scope) -> int:  # type: ignore[no-untyped-def]
    status: list[int] = []

    async def send(message) -> None:  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            status.append(message["status"])

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": b""}

    await door(request_scope, receive, send)
    return status[0]


def door_over(app, services, places: int) -> Edge:  # type: ignore[no-untyped-def]
    """The edge in front of `app`, its door's queue (one core, 1 s a hash) holding `places` requests."""
    services.hash_gate.close()
    services.hash_gate = HashGate(concurrency=1, budget_seconds=places - 1, hash_time=HashTime(1.0, weight=0.0))
    return Edge(app, services=services)


def test_unknown_devices_beyond_the_budget_get_a_fast_429_and_signed_devices_pass(services) -> None:
    async def run() -> None:
        app = SlowApp()
        door = door_over(app, services, places=3)
        waiting = [asyncio.create_task(call(door, scope())) for _ in range(3)]
        await asyncio.sleep(0)
        assert await call(door, scope()) == 429  # the fourth unknown one would wait 3 s: at once
        assert await call(door, scope([(b"x-device-id", b"d1.forged.0123456789abcdef0123456789abcdef")])) == 429
        owner = sign_device_id(services.keys, "owner-device-random-part")
        recognised = asyncio.create_task(call(door, scope([(b"cookie", f"a=b; bastion_device={owner}".encode())])))
        await asyncio.sleep(0)
        assert app.entered == 4  # the owner's request went in beside the three unknown ones
        app.release.set()
        assert await recognised == 200 and [await task for task in waiting] == [200, 200, 200]
        assert await call(door, scope(path="/v1/session")) == 200  # other paths are never gated
        assert services.hash_gate.refused["wait_over_budget"] == 2
        assert services.hash_gate.state()["queued"] == 0  # every place given back

    asyncio.run(run())


def test_sign_ups_take_places_in_the_same_queue_but_never_block_the_door_for_people(services) -> None:
    """A sign-up's hash runs after its answer, behind the people still waiting for theirs (issue 19)."""
    async def run() -> None:
        app = SlowApp()
        door = door_over(app, services, places=2)
        sign_ups = [asyncio.create_task(call(door, scope(path=path))) for path in ("/v1/accounts", "/signup")]
        await asyncio.sleep(0)
        assert services.hash_gate.state()["queued"] == 2
        people = [asyncio.create_task(call(door, scope())) for _ in range(2)]  # as many as an empty queue takes
        await asyncio.sleep(0)
        assert app.entered == 4
        assert await call(door, scope()) == 429  # beyond the people's budget: a flood, and then
        assert await call(door, scope(path="/v1/accounts")) == 429  # sign-ups are refused too
        app.release.set()
        assert [await task for task in (*sign_ups, *people)] == [200, 200, 200, 200]
        assert await call(door, scope()) == 200

    asyncio.run(run())


def test_a_sign_up_takes_a_place_whatever_device_sends_it(services) -> None:
    """A signed device identifier lets a sign-in pass, never a sign-up: its hash runs after its answer
    and is never refused, so one let past the door would wait (and hold a thread) without bound."""
    async def run() -> None:
        app = SlowApp()
        door = door_over(app, services, places=2)
        device = [(b"x-device-id", sign_device_id(services.keys, "someone-s-own-device").encode())]
        admitted = [asyncio.create_task(call(door, scope(device, path="/v1/accounts"))) for _ in range(3)]
        await asyncio.sleep(0)
        assert app.entered == 3 and services.hash_gate.state()["queued"] == 3  # two budgets: waits 0, 1, 2 s
        assert await call(door, scope(device, path="/v1/accounts")) == 429
        assert await call(door, scope(device, path="/signup")) == 429
        app.release.set()
        assert [await task for task in admitted] == [200, 200, 200]

    asyncio.run(run())


def test_the_doors_fast_refusal_is_a_problem_with_the_security_headers(services) -> None:
    async def run() -> None:
        app = SlowApp()
        door = door_over(app, services, places=1)
        holder = asyncio.create_task(call(door, scope()))
        await asyncio.sleep(0)
        messages: list[dict] = []  # type: ignore[type-arg]

        async def send(message) -> None:  # type: ignore[no-untyped-def]
            messages.append(message)

        async def receive():  # type: ignore[no-untyped-def]
            raise AssertionError("the body of a refused request is never read")

        await door(scope(), receive, send)
        headers = dict(messages[0]["headers"])
        assert messages[0]["status"] == 429 and headers[b"retry-after"] == b"2"
        assert headers[b"content-type"] == b"application/problem+json" and headers[b"cache-control"] == b"no-store"
        assert headers[b"x-frame-options"] == b"DENY" and b"content-security-policy" in headers
        assert json.loads(messages[1]["body"])["code"] == "rate_limited"
        app.release.set()
        assert await holder == 200

    asyncio.run(run())


def test_one_device_identifier_cannot_be_used_to_flood(services) -> None:
    async def run() -> None:
        app = SlowApp()
        app.release.set()
        door = door_over(app, services, places=1)
        assert services.hash_gate.reserve() is not None  # the queue is full for unknown devices
        device = sign_device_id(services.keys, "shared-device")
        answers = [await call(door, scope([(b"x-device-id", device.encode())]))
                   for _ in range(PER_DEVICE_PER_MINUTE + 1)]
        assert answers[:-1] == [200] * PER_DEVICE_PER_MINUTE and answers[-1] == 429
        assert services.hash_gate.refused["device_over_limit"] == 1

    asyncio.run(run())


def test_a_devices_minute_is_the_services_clocks(services, clock) -> None:  # type: ignore[no-untyped-def]
    async def run() -> None:
        app = SlowApp()
        app.release.set()
        door = door_over(app, services, places=1)
        assert services.hash_gate.reserve() is not None  # the queue is full for unknown devices
        device = [(b"x-device-id", sign_device_id(services.keys, "busy-device").encode())]
        for _ in range(PER_DEVICE_PER_MINUTE):
            await call(door, scope(device))
        assert await call(door, scope(device)) == 429
        clock.advance(minutes=1)
        assert await call(door, scope(device)) == 200  # a new minute

    asyncio.run(run())


def test_device_identifiers_are_signed_with_the_key_ring(services) -> None:
    device = sign_device_id(services.keys, "abc")
    assert is_signed_device_id(services.keys, device)
    assert not is_signed_device_id(services.keys, device[:-1] + ("0" if device[-1] != "0" else "1"))
    assert not is_signed_device_id(services.keys, "legit-device-1")


def test_a_device_with_two_sign_ins_in_flight_queues_its_third_with_the_unrecognised(services) -> None:
    async def run() -> None:
        app = SlowApp()
        door = door_over(app, services, places=2)
        device = [(b"x-device-id", sign_device_id(services.keys, "impatient-device").encode())]
        own_way = [asyncio.create_task(call(door, scope(device))) for _ in range(PER_DEVICE_IN_FLIGHT)]
        await asyncio.sleep(0)
        assert app.entered == PER_DEVICE_IN_FLIGHT and services.hash_gate.state()["queued"] == 0
        queued = [asyncio.create_task(call(door, scope(device))) for _ in range(2)]
        await asyncio.sleep(0)
        assert services.hash_gate.state()["queued"] == 2  # the two places of the queue
        assert await call(door, scope(device)) == 429
        assert services.hash_gate.refused["device_in_flight"] == 3
        app.release.set()
        assert [await task for task in (*own_way, *queued)] == [200] * 4
        passing = asyncio.create_task(call(door, scope(device)))  # none in flight now: its own way again
        await asyncio.sleep(0)
        assert services.hash_gate.state()["queued"] == 0
        assert await passing == 200

    asyncio.run(run())
