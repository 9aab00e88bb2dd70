"""Timing an answer the way a client sees it: from the request to the last byte of the answer.

The app is driven directly over ASGI in one event loop, so no socket or scheduler noise is
added; work the app does after answering (background tasks) is waited for before the next
request, so it can neither be counted nor overlap the next sample.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import anyio


@dataclass(frozen=True)
class Timed:
    status: int
    body: dict[str, Any]
    milliseconds: float


class AsgiTimer:
    def __init__(self, app: Any, client_ip: str = "192.0.2.10") -> None:
        self.app = app
        self.client_ip = client_ip

    def post(self, path: str, payload: dict[str, Any]) -> Timed:
        return anyio.run(self._post, path, payload)

    async def _post(self, path: str, payload: dict[str, Any]) -> Timed:
        body = json.dumps(payload).encode()
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode())],
            "client": (self.client_ip, 50000), "server": ("testserver", 80), "state": {},
        }
        sent = False
        status, chunks, answered = 0, [], 0.0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await anyio.sleep_forever()
            return {}  # pragma: no cover

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    answered = time.perf_counter()

        started = time.perf_counter()
        await self.app(scope, receive, send)  # returns after any background work
        return Timed(status, json.loads(b"".join(chunks) or b"{}"), (answered - started) * 1000)
