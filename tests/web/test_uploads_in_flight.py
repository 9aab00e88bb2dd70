"""Identity documents received at once are bounded, per process and per address: bursts of uploads
that never finished, from 80 addresses, grew the server from 1.7 to 4.5 GB and stalled it."""

from __future__ import annotations

import asyncio
from typing import Any

from bastion.web.edge import UPLOADS_IN_FLIGHT, UPLOADS_PER_ADDRESS, Edge
from tests.throttle.test_door import SlowApp

UPLOAD = "/v1/mfa-reset/some-case/documents"


def upload_from(address: str, path: str = UPLOAD) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": path, "headers": [(b"content-length", b"5000000")],
            "client": (address, 40000)}


async def answer(edge: Edge, scope: dict[str, Any]) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"x", "more_body": True}

    await edge(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def test_uploads_in_flight_are_bounded_per_address_and_in_all(services) -> None:  # type: ignore[no-untyped-def]
    async def run() -> None:
        app = SlowApp()
        edge = Edge(app, services=services)
        own = [asyncio.create_task(answer(edge, upload_from("203.0.113.1"))) for _ in range(UPLOADS_PER_ADDRESS)]
        await asyncio.sleep(0)
        status, headers, body = await answer(edge, upload_from("203.0.113.1"))  # one too many from there
        assert status == 429 and headers[b"connection"] == b"close" and b'"rate_limited"' in body
        assert headers[b"retry-after"] == b"30"
        others = [asyncio.create_task(answer(edge, upload_from(f"198.51.100.{number}")))
                  for number in range(UPLOADS_IN_FLIGHT - UPLOADS_PER_ADDRESS)]
        await asyncio.sleep(0)
        assert app.entered == UPLOADS_IN_FLIGHT
        assert (await answer(edge, upload_from("192.0.2.7", "/recovery/case/documents")))[0] == 429  # the page's too
        app.release.set()
        assert [(await task)[0] for task in (*own, *others)] == [200] * UPLOADS_IN_FLIGHT
        later = asyncio.create_task(answer(edge, upload_from("203.0.113.1")))  # all answered: room again
        await asyncio.sleep(0)
        assert app.entered == UPLOADS_IN_FLIGHT + 1
        assert (await later)[0] == 200

    asyncio.run(run())
