"""The sign-in admission door: a flood of unknown devices gets a fast 429, recognised devices pass."""

from __future__ import annotations

import asyncio

from bastion.web.admission import PER_DEVICE_PER_MINUTE, SignInAdmission
from bastion.web.client import is_signed_device_id, sign_device_id


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


async def call(door: SignInAdmission, request_scope) -> int:  # type: ignore[no-untyped-def]
    status: list[int] = []

    async def send(message) -> None:  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            status.append(message["status"])

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": b""}

    await door(request_scope, receive, send)
    return status[0]


def test_unknown_devices_beyond_the_limit_get_a_fast_429_and_signed_devices_pass(services) -> None:
    async def run() -> None:
        app = SlowApp()
        door = SignInAdmission(app, services=services, limit=2)
        waiting = [asyncio.create_task(call(door, scope())) for _ in range(2)]
        await asyncio.sleep(0)
        assert await call(door, scope()) == 429  # the third unknown one, at once
        assert await call(door, scope([(b"x-device-id", b"d1.forged.0123456789abcdef0123456789abcdef")])) == 429
        owner = sign_device_id(services.keys, "owner-device-random-part")
        recognised = asyncio.create_task(call(door, scope([(b"cookie", f"a=b; bastion_device={owner}".encode())])))
        await asyncio.sleep(0)
        assert app.entered == 3  # the owner's request went in beside the two unknown ones
        app.release.set()
        assert await recognised == 200 and [await task for task in waiting] == [200, 200]
        assert await call(door, scope(path="/v1/session")) == 200  # other paths are never gated
        assert door.refused == 2

    asyncio.run(run())


def test_one_device_identifier_cannot_be_used_to_flood(services) -> None:
    async def run() -> None:
        app = SlowApp()
        app.release.set()
        door = SignInAdmission(app, services=services, limit=1)
        device = sign_device_id(services.keys, "shared-device")
        door.unknown_in_flight = 1  # the door is full for unknown devices
        answers = [await call(door, scope([(b"x-device-id", device.encode())]))
                   for _ in range(PER_DEVICE_PER_MINUTE + 1)]
        assert answers[:-1] == [200] * PER_DEVICE_PER_MINUTE and answers[-1] == 429

    asyncio.run(run())


def test_device_identifiers_are_signed_with_the_key_ring(services) -> None:
    device = sign_device_id(services.keys, "abc")
    assert is_signed_device_id(services.keys, device)
    assert not is_signed_device_id(services.keys, device[:-1] + ("0" if device[-1] != "0" else "1"))
    assert not is_signed_device_id(services.keys, "legit-device-1")
