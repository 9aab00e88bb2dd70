"""Timing an answer the way a client sees it: from the request to the last byte of the answer.

The app is driven directly over ASGI in one event loop, so no socket or scheduler noise is
added; work the app does after answering (background tasks) is waited for before the next
request, so it can neither be counted nor overlap the next sample.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio


@dataclass(frozen=True)
class Timed:
    status: int
    body: dict[str, Any]
    milliseconds: float


# A made-up double-submit CSRF pair (the forms before sign-in compare the cookie with the field).
FORM_CSRF = "c" * 43


class AsgiTimer:
    def __init__(self, app: Any, client_ip: str = "192.0.2.10") -> None:
        self.app = app
        self.client_ip = client_ip

    def post(self, path: str, payload: dict[str, Any], on_answered: Callable[[], None] | None = None) -> Timed:
        """A JSON request. `on_answered` runs when the answer's last byte has gone, before any work after it."""
        return anyio.run(self._send, path, json.dumps(payload).encode(), b"application/json", [], on_answered)

    def form(self, path: str, fields: dict[str, str], on_answered: Callable[[], None] | None = None) -> Timed:
        """A page's form, as a browser posts it (with its CSRF pair); the page's text comes back in `body["page"]`."""
        body = urlencode({**fields, "csrf_token": FORM_CSRF}).encode()
        headers = [(b"cookie", f"bastion_csrf={FORM_CSRF}".encode()), (b"accept", b"text/html")]
        return anyio.run(self._send, path, body, b"application/x-www-form-urlencoded", headers, on_answered)

    async def _send(self, path: str, body: bytes, content_type: bytes, extra: list[tuple[bytes, bytes]],
                    on_answered: Callable[[], None] | None) -> Timed:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"testserver"), (b"content-type", content_type),
                        (b"content-length", str(len(body)).encode()), *extra],
            "client": (self.client_ip, 50000), "server": ("testserver", 80), "state": {},
        }
        sent = False
        status, chunks, answered = 0, [], 0.0
        location: list[str] = []

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
                location.extend(value.decode() for name, value in message.get("headers", ()) if name == b"location")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    answered = time.perf_counter()
                    if on_answered is not None:
                        on_answered()

        started = time.perf_counter()
        await self.app(scope, receive, send)  # returns after any background work
        text = b"".join(chunks).decode()
        answer = json.loads(text or "{}") if text[:1] in ("", "{") else {"page": text}
        if location and not text:  # a form's post answered with a redirect to its result page
            answer = {"page": f"see {location[0]}"}
        return Timed(status, answer, (answered - started) * 1000)
