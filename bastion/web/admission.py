"""Sign-in admission at the door: under a flood, devices Bastion recognises go first.

Per-IP limits and the hash gate work inside the application, after a request has been
read, routed and handed to a thread — by then an owner's sign-in has already waited
behind every attack request in flight. This pure-ASGI layer runs first. A password
request carrying a device identifier Bastion signed (the `bastion_device` cookie, or
`X-Device-Id` with a value from a previous answer) always passes — at most
`PER_DEVICE_PER_MINUTE` times a minute per device, so one stolen identifier buys
nothing. Any other one passes only while fewer than `limit` such requests are in
flight in this process; beyond that it gets a prebuilt 429 `rate_limited` at once —
no body read, no thread, no database row.

Those fast refusals of one second share one reference, recorded once, so support can
still look it up.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from bastion.errors import BastionError, new_reference
from bastion.services import Services
from bastion.store.models import Refusal
from bastion.web.client import DEVICE_COOKIE, is_signed_device_id

log = logging.getLogger("bastion.admission")

GATED = frozenset({("POST", "/v1/login"), ("POST", "/login"), ("POST", "/v1/accounts"), ("POST", "/signup")})
PER_DEVICE_PER_MINUTE = 120
RETRY_AFTER = 2


class SignInAdmission:
    def __init__(self, app: ASGIApp, services: Services, limit: int) -> None:
        self.app = app
        self.services = services
        self.limit = max(1, limit)
        self.unknown_in_flight = 0
        self.refused = 0
        self._device_uses: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._bucket: tuple[int, bytes] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) not in GATED:
            await self.app(scope, receive, send)
            return
        if self._recognised(scope):
            await self.app(scope, receive, send)
            return
        if self.unknown_in_flight >= self.limit:
            await self._refuse(scope, send)
            return
        self.unknown_in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.unknown_in_flight -= 1

    def _recognised(self, scope: Scope) -> bool:
        device = _device_from(scope)
        if device is None or not is_signed_device_id(self.services.keys, device):
            return False
        minute = int(time.monotonic() // 60)
        start, count = self._device_uses.get(device, (minute, 0))
        count = count + 1 if start == minute else 1
        self._device_uses[device] = (minute, count)
        self._device_uses.move_to_end(device)
        while len(self._device_uses) > 50_000:
            self._device_uses.popitem(last=False)
        return count <= PER_DEVICE_PER_MINUTE

    async def _refuse(self, scope: Scope, send: Send) -> None:
        self.refused += 1
        second = int(time.time())
        if self._bucket is None or self._bucket[0] != second:
            reference = new_reference()
            error = BastionError("rate_limited", retry_after=RETRY_AFTER,
                                 detail="Sign-in is very busy right now. Please try again in a moment.")
            self._bucket = (second, json.dumps(error.problem(reference)).encode())
            asyncio.get_running_loop().run_in_executor(None, self._record, reference, scope["path"])
        body = self._bucket[1]
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/problem+json"), (b"retry-after", str(RETRY_AFTER).encode()),
            (b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _record(self, reference: str, path: str) -> None:
        try:
            with self.services.db.transaction() as tx:
                tx.add(Refusal(reference=reference, code="rate_limited", status=429, created_at=self.services.clock.now(),
                               account_id=None, method="POST", path=path, ip=None))
        except Exception:
            log.exception("could not record the overload refusal", extra={"reference": reference})


def _device_from(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-device-id":
            return value.decode("latin-1")
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, cookie = part.strip().partition("=")
                if key == DEVICE_COOKIE:
                    return cookie
    return None
