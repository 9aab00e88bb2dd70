"""Sign-in admission at the door: nobody waits past the queue's budget, and devices Bastion
recognises go first.

The first thing the edge runs on the password endpoints: a sign-in with a signed device identifier
passes (at most `PER_DEVICE_PER_MINUTE` a minute), any other request — every sign-up among them —
takes a place in the hash queue or gets a prebuilt 429 at once (docs/design/sign-in-admission.md).
Before that, a sign-in the route would refuse for its network's hold (`ip.throttled`) is refused
here, as the route answers it, without taking a place: a held attacker never crowds out the others.
A request takes its place only once its body has arrived whole (the edge reads it: `take_place`):
one trickled in a byte at a time holds a connection, never a place a person arriving meanwhile needs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bastion import i18n
from bastion.errors import BastionError, Reason, new_reference
from bastion.help import refusals
from bastion.i18n import _
from bastion.services import Services
from bastion.throttle.admission import BUSY, RETRY_AFTER
from bastion.throttle.rules import network_held
from bastion.web.client import client_from, signed_device_id

log = logging.getLogger("bastion.admission")

SIGN_IN = frozenset({"/v1/login", "/login"})
SIGN_UP = frozenset({"/v1/accounts", "/signup"})  # the hash runs after the answer
PER_DEVICE_PER_MINUTE = 120
# Sign-ins in flight at once from one recognised device: a person has one, two with an impatient
# second tap; more queue with the unrecognised (an attacker's own devices, sent in bursts, would
# otherwise hold a thread each while they wait for the known devices' slots).
PER_DEVICE_IN_FLIGHT = 2
_HEADERS = [(b"content-type", b"application/problem+json"), (b"retry-after", str(RETRY_AFTER).encode())]
_NOTHING = nullcontext()
# `enter`'s answer for a request that is to take a place in the queue once its body has arrived (`take_place`).
TAKES_A_PLACE = nullcontext()
# A sign-in or sign-up is well under a kilobyte: on any connection that can sign in at all it
# arrives in far less than this.
WHOLE_BODY_SECONDS = 10.0

# A refusal at the door: it answers the request itself.
Refused = Callable[[Scope, Receive, Send], Awaitable[None]]
# How a sign-in route answers a refusal the door makes for it, as it answers its own (bastion/web/app.py).
RouteAnswer = Callable[[Request, BastionError], Awaitable[Response]]


class Door:
    """Run by the edge (bastion/web/edge.py) for every request, before anything else."""

    def __init__(self, services: Services, route_answers: Mapping[str, RouteAnswer] | None = None) -> None:
        self.services = services
        self.gate = services.hash_gate
        self.route_answers = dict(route_answers or {})
        self.body_seconds = WHOLE_BODY_SECONDS  # how long a body that is to take a place may take to arrive
        self._device_uses: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._in_flight: Counter[str] = Counter()  # recognised devices' sign-ins still running
        self._bucket: tuple[int, str, dict[str, bytes]] | None = None

    def enter(self, scope: Scope) -> AbstractContextManager[None] | Refused:
        """What the request holds while it runs — nothing, or TAKES_A_PLACE: its place in the hash
        queue, to be taken by `take_place` — or, when it is to be refused, the refusal that answers it."""
        path = scope["path"]
        if scope["method"] != "POST" or (path not in SIGN_IN and path not in SIGN_UP):
            return _NOTHING
        # A sign-up is a new account's work whatever device sends it: its hash, after the answer, is
        # never refused, so it is judged here or nowhere. (No network hold refuses a sign-up.)
        sign_up = path in SIGN_UP
        if not sign_up:
            held = self._held_network(scope)
            if held is not None:
                return held
            device = self._recognised(scope)
            if device is not None:
                return self._flying(device)
        return TAKES_A_PLACE

    def refused_when_full(self, scope: Scope) -> Refused | None:
        """The fast 429 when the queue has no room now (counted): asked before a body is read, so a
        flood is refused unread."""
        reason = self.gate.refusal(after_answer=scope["path"] in SIGN_UP)
        if reason is None:
            return None
        self.gate.count_refusal(reason)
        return self._refuse_busy

    def take_place(self, scope: Scope) -> AbstractContextManager[None] | Refused:
        """For a request `enter` found TAKES_A_PLACE, its body arrived whole: its place in the queue
        (judged again: others came while it arrived), or the fast 429."""
        place = self.gate.reserve(after_answer=scope["path"] in SIGN_UP)
        return self._refuse_busy if place is None else self.gate.holding(place)

    def refusal(self, error: BastionError) -> Refused:
        """`error` answered as the request's route answers its refusals (a problem+json without one)."""
        async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
            route_answer = self.route_answers.get(scope["path"])
            if route_answer is None:
                await self._answer_problem(error, scope, send)
                return
            response = await route_answer(Request(scope, receive), error)
            await response(scope, receive, send)

        return refuse

    def _held_network(self, scope: Scope) -> Refused | None:
        """The route's own `ip.throttled` when it would surely give it: the network is held (as this
        process last met the hold) and the request names no device — a device the account knows is
        let through a network's hold, and only an identifier Bastion signed is a device — nor an app
        version, judged before anything else (requirements §32). Nothing the route would let through
        is refused here."""
        route_answer = self.route_answers.get(scope["path"])
        if route_answer is None or not self.services.throttle.held_networks:
            return None
        client = client_from(Request(scope))  # read as the route reads it: its address, device and version
        if client.device_id is not None or (client.platform and client.version):
            return None
        now = self.services.clock.now()
        until = self.services.throttle.remembered_network_hold(client.ip, now)
        if until is None:
            return None
        self.gate.count_refusal("network_held")
        return self.refusal(network_held(until, now))

    def _recognised(self, scope: Scope) -> str | None:
        """The request's device identifier when Bastion signed it and the device is within its
        allowances (a minute's sign-ins, those in flight); else None: it queues with the rest."""
        device = signed_device_id(self.services.keys, Headers(scope=scope))
        if device is None:
            return None
        minute = int(self.services.clock.now().timestamp() // 60)
        start, count = self._device_uses.get(device, (minute, 0))
        count = count + 1 if start == minute else 1
        self._device_uses[device] = (minute, count)
        self._device_uses.move_to_end(device)
        while len(self._device_uses) > 50_000:
            self._device_uses.popitem(last=False)
        if count > PER_DEVICE_PER_MINUTE:
            self.gate.count_refusal("device_over_limit")  # it queues with the unrecognised ones
            return None
        if self._in_flight[device] >= PER_DEVICE_IN_FLIGHT:
            self.gate.count_refusal("device_in_flight")  # so does this one
            return None
        return device

    @contextmanager
    def _flying(self, device: str) -> Iterator[None]:
        """Counted in flight while it runs (the door and the edge run on the event loop: no lock)."""
        self._in_flight[device] += 1
        try:
            yield
        finally:
            self._in_flight[device] -= 1
            if not self._in_flight[device]:
                del self._in_flight[device]

    async def _refuse_busy(self, scope: Scope, _receive: Receive, send: Send) -> None:
        """A prebuilt 429: no thread, no database row (one a second, for the reference), and, under a
        flood, no body read."""
        path = scope["path"]
        second = int(self.services.clock.now().timestamp())
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

    async def _answer_problem(self, error: BastionError, scope: Scope, send: Send) -> None:
        reference = new_reference()
        asyncio.get_running_loop().run_in_executor(None, self._record, reference, scope["path"], error.code, error.reason.status)
        body = json.dumps(error.problem(reference)).encode()
        headers = [_HEADERS[0], (b"content-length", str(len(body)).encode())]
        if error.retry_after is not None:
            headers.append((b"retry-after", str(error.retry_after).encode()))
        await send({"type": "http.response.start", "status": error.reason.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _record(self, reference: str, path: str, code: Reason = Reason.RATE_LIMITED, status: int = 429) -> None:
        try:
            refusals.record_refusal(self.services, reference=reference, code=code, status=status,
                                    account_id=None, method="POST", path=path, ip=None)
        except Exception:
            log.exception("could not record the door's refusal", extra={"reference": reference})
