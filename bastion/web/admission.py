"""Sign-in admission at the door: nobody waits past the queue's budget, and devices Bastion
recognises go first.

The first thing the edge runs on the password endpoints: a sign-in with a signed device identifier
passes (at most `PER_DEVICE_PER_MINUTE` a minute), any other request — every sign-up among them —
takes a place in the hash queue or gets a prebuilt 429 at once (docs/design/sign-in-admission.md).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from contextlib import AbstractContextManager, nullcontext

from starlette.types import Scope, Send

from bastion import i18n
from bastion.errors import BastionError, Reason, new_reference
from bastion.help import refusals
from bastion.i18n import _
from bastion.services import Services
from bastion.throttle.admission import BUSY, RETRY_AFTER
from bastion.web.client import DEVICE_COOKIE, is_signed_device_id

log = logging.getLogger("bastion.admission")

SIGN_IN = frozenset({"/v1/login", "/login"})
SIGN_UP = frozenset({"/v1/accounts", "/signup"})  # the hash runs after the answer
PER_DEVICE_PER_MINUTE = 120
_HEADERS = [(b"content-type", b"application/problem+json"), (b"retry-after", str(RETRY_AFTER).encode())]
_NOTHING = nullcontext()


class Door:
    """Run by the edge (bastion/web/edge.py) for every request, before anything else."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.gate = services.hash_gate
        self._device_uses: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._bucket: tuple[int, str, dict[str, bytes]] | None = None

    def enter(self, scope: Scope) -> AbstractContextManager[None] | None:
        """What the request holds while it runs — its place in the hash queue, or nothing — or
        None when it is to be refused."""
        path = scope["path"]
        if scope["method"] != "POST" or (path not in SIGN_IN and path not in SIGN_UP):
            return _NOTHING
        # A sign-up is a new account's work whatever device sends it: its hash, after the answer, is
        # never refused, so it is judged here or nowhere.
        sign_up = path in SIGN_UP
        if not sign_up and self._recognised(scope):
            return _NOTHING
        place = self.gate.reserve(after_answer=sign_up)
        return None if place is None else self.gate.holding(place)

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
        if count > PER_DEVICE_PER_MINUTE:
            self.gate.count_refusal("device_over_limit")  # it queues with the unrecognised ones
            return False
        return True

    async def refuse(self, path: str, send: Send) -> None:
        """A prebuilt 429: no body read, no thread, no database row (one a second, for the reference)."""
        second = int(time.time())
        if self._bucket is None or self._bucket[0] != second:
            reference = new_reference()
            self._bucket = (second, reference, {})
            asyncio.get_running_loop().run_in_executor(None, self._record, reference, path)
        _second, reference, bodies = self._bucket
        language = i18n.current().tag  # the same refusal, in each language asked for this second
        body = bodies.get(language)
        if body is None:
            error = BastionError(Reason.RATE_LIMITED, retry_after=RETRY_AFTER, detail=_(BUSY))
            body = bodies[language] = json.dumps(error.problem(reference)).encode()
        await send({"type": "http.response.start", "status": 429,
                    "headers": [*_HEADERS, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _record(self, reference: str, path: str) -> None:
        try:
            refusals.record_refusal(self.services, reference=reference, code=Reason.RATE_LIMITED, status=429,
                                    account_id=None, method="POST", path=path, ip=None)
        except Exception:
            log.exception("could not record the overload refusal", extra={"reference": reference})


def _device_from(scope: Scope) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"x-device-id":
            return value.decode("latin-1")
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _equals, cookie = part.strip().partition("=")
                if key == DEVICE_COOKIE:
                    return cookie
    return None
