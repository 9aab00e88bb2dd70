"""What every request passes through before the application, in one pure-ASGI layer.

In order: the language and time zone the request is answered in (language.py), the sign-in
door (bastion/web/admission.py: the hash queue's place, a fast 429, or a held network's refusal as
its route answers it: `door_answers`), the cap on the request
body (body_limit.py), the security headers and the language on the answer (headers.py,
language.py) and its latency in the metrics, by route template. One layer rather than four:
every request pays for each layer's call and for each wrapper of `send`. The session checks a
platform makes on every request are answered here too, before the router (`fast_routes`: the
session checks' own, bastion/web/api/session_checks.py).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bastion import i18n
from bastion.context import host_of
from bastion.errors import BastionError
from bastion.metrics import observe_request
from bastion.ops.http_heads import FIXED_HEADERS
from bastion.services import Services
from bastion.web.admission import SIGN_IN, SIGN_UP, TAKES_A_PLACE, Door, Refused, RouteAnswer
from bastion.web.body_limit import (
    BODY_GRACE_SECONDS,
    UPLOADS_PER_ADDRESS,
    BodyProgress,
    UploadsBusy,
    is_upload,
    limited_receive,
    replaying,
    whole_body,
)
from bastion.web.brand import image_origin
from bastion.web.client import client_ip
from bastion.web.headers import rendered, security_headers, sets_none_of_ours, with_security_headers
from bastion.web.language import language_label, rendered_language, voice_of, with_language

# Answers a request before the router; or hands it on, with the `receive` to read it from.
FastRoute = Callable[[Scope, Receive, Send], Awaitable[Receive | None]]
# A 200's JSON body from what this node holds in memory, for a request's scope and whole body; or
# None: the request is to take the usual way (`Edge.answer_at_once`).
AtOnce = Callable[[Scope, bytes], bytes | None]
# Identity documents being received at once, by the process and from one address: a person sends
# theirs one at a time, and each upload holds its buffers until it is answered. Bursts of uploads
# that never finished, from 80 addresses, grew the server from 1.7 to 4.5 GB and stalled it. A
# place is taken once the body passes its form's fields (UPLOAD_PLACE_AFTER, its case checked by
# then) and given back as the answer starts: headers alone, sent and never followed by a body,
# held every place for 200 bytes a second.
UPLOADS_IN_FLIGHT = 16
UPLOADS_RETRY_AFTER = 30
# With every place taken, a new upload takes the place of the slowest one past its first
# BODY_GRACE_SECONDS if that one arrives under this rate (it is answered 408 `request.timeout`):
# a phone on a poor mobile link sends 50-100 KB/s. Places held with an attacker's own recovery
# cases, each trickled at the 1 KiB/s every body must keep, turned everyone's documents away.
UPLOAD_EVICTABLE_RATE = 16 * 1024
# And one whose body has paused this long goes first, whatever its average: megabytes sent at once
# then silence kept an average above the rate for minutes.
UPLOAD_IDLE_SECONDS = 5.0


class Edge:
    def __init__(self, app: ASGIApp, services: Services,
                 fast_routes: Mapping[tuple[str, str], FastRoute] | None = None,
                 door_answers: Mapping[str, RouteAnswer] | None = None,
                 at_once: Mapping[tuple[bytes, bytes], tuple[str, AtOnce]] | None = None,
                 largest_body_at_once: int = 0) -> None:
        """`door_answers`: how each sign-in route answers a refusal the door makes for it (by path);
        `at_once`: what `answer_at_once` answers (by method and raw path: the route's template, and how)."""
        self.app = app
        self.door = Door(services, door_answers)
        self.fast = fast_routes or {}
        self.at_once = at_once or {}
        self._fixed_at_once: dict[tuple[str, str], bytes] = {}
        self.largest_body_at_once = largest_body_at_once
        self.https = services.settings.public_url.startswith("https://")
        self.image_origin = image_origin(services.settings)
        self.pseudo = services.settings.pseudo_locale
        self.trusted_proxies = services.settings.trusted_proxy_networks
        self._upload_addresses: dict[BodyProgress, str | None] = {}  # each upload holding a place, and its address
        self.clock: Callable[[], float] = time.monotonic  # the uploads' rates (tests move it)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "HEAD":
            # A GET's answer without its body (RFC 9110 §9.3.2: a server supports HEAD wherever it
            # supports GET); the server itself leaves the body out of a HEAD's answer.
            scope = {**scope, "method": "GET"}
        started = time.perf_counter()
        ours = security_headers(scope["path"], self.https, self.image_origin)
        # Served by `bastion serve`: the protocol takes them rendered once (bastion/ops/http_heads.py).
        add_fixed = scope.get("extensions", {}).get(FIXED_HEADERS, {}).get("add")
        status = 500
        progress: BodyProgress | None = None  # an upload's, while it holds a place

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers", [])
                tag = i18n.current().tag
                if add_fixed is not None and sets_none_of_ours(headers) and \
                        (language := rendered_language(headers, tag)) is not None:
                    add_fixed(rendered(ours) + language)
                else:
                    message["headers"] = with_language(with_security_headers(headers, ours), tag)
                if progress is not None:
                    # Received and done with: its answer may wait for a reader that never reads
                    # (earlier answers left unread), and must not hold the place meanwhile.
                    self._leave(progress)
            await send(message)

        speaking = i18n.begin(*voice_of(scope, self.pseudo))
        try:
            held = self.door.enter(scope)
            if held is TAKES_A_PLACE:
                try:
                    held, receive = await self._take_place(scope, receive)
                except ClientDisconnect:
                    return  # gone before its body arrived: nobody to answer
            if not isinstance(held, AbstractContextManager):  # refused at the door
                await held(scope, receive, answer)
                return
            if is_upload(scope["method"], scope["path"]):
                progress = BodyProgress(self.clock, self.clock(), self._claim_upload_place(scope))
                held = self._uploading(progress, held)
            fast = self.fast.get((scope["method"], scope["path"]))
            if fast is not None:
                handed_on = await fast(scope, receive, answer)
                if handed_on is None:
                    return
                receive = handed_on  # to the route, with what was read of the body
            with held:
                await self.app(scope, limited_receive(scope, receive, progress), answer)
        finally:
            i18n.end(speaking)
            observe_request(scope["method"], _route_of(scope), status, time.perf_counter() - started)

    def answer_at_once(self, scope: Scope, body: bytes) -> bytes | None:
        """For the protocol (bastion/ops/http_heads.py): a request of `at_once`, its head and whole body
        arrived, answered 200 before it is an ASGI request. The head's fields after the protocol's own,
        then the body, as the edge and the route would have answered it (the same headers, the language,
        the metrics); None: it takes the usual way."""
        started = time.perf_counter()
        route, answer = self.at_once[(scope["method"].encode(), scope["raw_path"])]
        content = answer(scope, body)
        if content is None:
            return None
        tag = voice_of(scope, self.pseudo)[0]
        fixed = self._fixed_at_once.get((route, tag)) or self._fixed_for(route, tag)
        head = b"content-length: %d\r\ncontent-type: application/json\r\n%s\r\n" % (len(content), fixed)
        observe_request(scope["method"], route, 200, time.perf_counter() - started)
        return head + content

    def _fixed_for(self, route: str, tag: str) -> bytes:
        """The security headers and the language of an answer at once: a session check holds no words
        (ids and times), so it is only labelled with the language the usual way would speak."""
        label = language_label(tag if i18n.known(tag) else i18n.SOURCE)
        fixed = rendered(security_headers(route, self.https, self.image_origin)) + label
        self._fixed_at_once[(route, tag)] = fixed  # a few routes, the shipped languages
        return fixed

    async def _take_place(self, scope: Scope, receive: Receive) -> tuple[AbstractContextManager[None] | Refused, Receive]:
        """A place in the queue, taken once the request's body has arrived whole (within the door's
        `body_seconds`), and the `receive` that hands the route that body — or the refusal: the queue
        full (asked first, so a flood is refused unread), the body too slow or too large."""
        full = self.door.refused_when_full(scope)
        if full is not None:
            return full, receive
        try:
            body = await whole_body(scope, receive, self.door.body_seconds)
        except BastionError as refused:
            return _closing(self.door.refusal(refused)), receive
        return self.door.take_place(scope), replaying(body, receive)


    def _claim_upload_place(self, scope: Scope) -> Callable[[BodyProgress], None]:
        """How an upload takes its place among those in flight, once its body passes its form's
        fields (`UPLOAD_PLACE_AFTER`): or is refused 429 `rate_limited`, its connection closed."""
        ip = client_ip(Request(scope), self.trusted_proxies)
        address = host_of(ip) if ip is not None else None  # an IPv6 host's places are its /64's

        def claim(progress: BodyProgress) -> None:
            from_there = sum(1 for holder in self._upload_addresses.values() if holder == address)
            if from_there >= UPLOADS_PER_ADDRESS or (
                    len(self._upload_addresses) >= UPLOADS_IN_FLIGHT and not self._cut_off_slowest_upload()):
                raise UploadsBusy(UPLOADS_RETRY_AFTER)
            self._upload_addresses[progress] = address
            progress.placed = True

        return claim

    def _cut_off_slowest_upload(self) -> bool:
        """Give the place of an upload past its grace to a newcomer: of those paused UPLOAD_IDLE_SECONDS
        or arriving under UPLOAD_EVICTABLE_RATE, a paused one first, then the slowest."""
        now = self.clock()
        slow = [progress for progress in self._upload_addresses
                if not progress.arrived and now - progress.started >= BODY_GRACE_SECONDS
                and (now - progress.last >= UPLOAD_IDLE_SECONDS or progress.rate(now) < UPLOAD_EVICTABLE_RATE)]
        if not slow:
            return False
        slowest = min(slow, key=lambda progress: (now - progress.last < UPLOAD_IDLE_SECONDS, progress.rate(now)))
        self._leave(slowest)
        slowest.cut_off()
        return True

    @contextmanager
    def _uploading(self, progress: BodyProgress, held: AbstractContextManager[None]) -> Iterator[None]:
        try:
            with held:
                yield
        finally:
            self._leave(progress)

    def _leave(self, progress: BodyProgress) -> None:
        self._upload_addresses.pop(progress, None)  # (cut off already: its place went to another)


def _closing(refuse: Refused) -> Refused:
    """`refuse`, its answer closing the connection: the rest of a body not read would be taken for
    the next request on it."""
    async def refusing(scope: Scope, receive: Receive, send: Send) -> None:
        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        await refuse(scope, receive, closing)

    return refusing


def _route_of(scope: Scope) -> str:
    """The route's template (never the raw path: it may hold ids or tokens)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str) and path:
        return path
    if scope["path"].startswith("/static/"):
        return "/static"
    return scope["path"] if scope["path"] in _DOOR_PATHS else "unmatched"  # the door answered it


_DOOR_PATHS = SIGN_IN | SIGN_UP

