"""The two routes behind every request a platform serves: `GET /v1/session` and `POST /v1/introspect`.

A platform asks one of them for every request its users make, so they must cost little more than
the web server itself. Most of their requests are answered by `FastChecks`, which the edge
(bastion/web/edge.py) calls before the router, from what this node holds in memory: a cached
live session at once, a refused token with the same problem+json as everywhere else. What needs
the database or is not what the contract says goes on to the routes, which document both and
answer the rest the usual way: a session not cached here, a service key not yet in memory or
refused, an introspection body that is not what the contract says (a 422 with its field errors). The routes are
`DirectRoute`s (bastion/web/direct.py): served without FastAPI's dependency and model machinery,
on the event loop. Both ways build their answers with the same functions (`whoami_of`,
`introspection`).

Served by `bastion serve`, a check answered 200 from memory does not even become an ASGI request:
the protocol hands its head and body to `FastChecks.at_once` as they arrive, and writes the answer
the edge renders (`Edge.answer_at_once`, bastion/ops/http_heads.py's `answers_at_once`). uvicorn's
request cycle, its task and its checks of each header cost as much as the check itself; anything
else (a refusal, a session to read, a body to refuse) takes the usual way, from its start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
from fastapi import APIRouter
from pydantic_core import from_json, to_json
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bastion.errors import BastionError
from bastion.ops.maintenance import windows_cached
from bastion.services import Services
from bastion.sessions.holds import Restriction
from bastion.sessions.service_keys import authenticate_service_key, cached_service_key
from bastion.sessions.tokens import SessionInfo
from bastion.sessions.validation import authenticate_session_async, session_in_memory
from bastion.web.api.schemas import IntrospectIn, IntrospectOut, WhoAmIOut
from bastion.web.body_limit import replaying
from bastion.web.deps import (
    bearer_of,
    csrf_token_for,
    get_services,
    presented_token,
    safe_session_from_request,
    service_key_secret,
)
from bastion.web.direct import DirectRoute, json_answer, parse_body, read_body, request_body_schema
from bastion.web.edge import AtOnce
from bastion.web.openapi import problems
from bastion.web.problems import problem_response, recorded_off_loop

router = APIRouter(prefix="/v1", route_class=DirectRoute)
INACTIVE = {"active": False, "restrictions": []}


def _restrictions(holds: tuple[Restriction, ...]) -> list[dict[str, Any]]:
    return [{"kind": hold.kind, "reason": hold.reason, "until": hold.until} for hold in holds]


@router.get("/session", response_model=WhoAmIOut, tags=["me"], responses=problems(401, 403, 503))
async def whoami(request: Request) -> Response:
    """Who is signed in: the account, the session, and the restrictions the platform must respect."""
    try:
        session = await safe_session_from_request(request)
    except BastionError as refused:  # answered here: a flood of made-up tokens skips the exception layers
        return problem_response(request, await recorded_off_loop(request, refused))
    return json_answer(whoami_of(get_services(request), session))


def whoami_of(services: Services, session: SessionInfo) -> dict[str, Any]:
    return {
        "account": {"id": session.account_id, "email": session.email},
        "session": {"id": session.id, "created_at": session.created_at, "expires_at": session.expires_at,
                    "idle_expires_at": session.idle_expires_at, "authenticated_at": session.authenticated_at,
                    "aal": session.aal},
        "restrictions": _restrictions(session.restrictions),
        "csrf_token": csrf_token_for(services, session.id),
    }


@router.post("/introspect", response_model=IntrospectOut, response_model_exclude_none=True, tags=["platform"],
             responses=problems(401, 422), openapi_extra=request_body_schema(IntrospectIn))
async def introspect(request: Request) -> Response:
    """Whether a session token is live, and what the platform must respect (restrictions). Needs a service key."""
    services = get_services(request)
    secret = service_key_secret(request)
    if cached_service_key(services, secret) is None:
        await anyio.to_thread.run_sync(authenticate_service_key, services, secret)
    body = parse_body(IntrospectIn, await read_body(request.receive))  # bounded by the edge (body_limit.py)
    try:
        session = await authenticate_session_async(services, body.token)
    except BastionError:
        return json_answer(INACTIVE)
    return json_answer(introspection(session))


def introspection(session: SessionInfo) -> dict[str, Any]:
    return {"active": True, "account_id": session.account_id, "session_id": session.id, "aal": session.aal,
            "restrictions": _restrictions(session.restrictions), "expires_at": session.idle_expires_at}


# None: answered. Otherwise handed on to the routes, with the `receive` to read the request from.
Outcome = Receive | None
_LARGEST_INTROSPECTION = 4096  # a token of at most 256 characters, in JSON: anything bigger is refused by the route


class FastChecks:
    """The session checks as the edge answers them (`routes`, by method and path), and those it
    answers before they are requests (`at_once`, by method and raw path, bodies of at most `largest_body`)."""

    largest_body = _LARGEST_INTROSPECTION

    def __init__(self, services: Services) -> None:
        self.services = services
        self.routes: dict[tuple[str, str], Callable[[Scope, Receive, Send], Awaitable[Outcome]]] = {
            ("GET", "/v1/session"): self.session, ("POST", "/v1/introspect"): self.introspect}
        self.at_once: dict[tuple[bytes, bytes], tuple[str, AtOnce]] = {
            (b"GET", b"/v1/session"): ("/v1/session", self.session_at_once),
            (b"POST", b"/v1/introspect"): ("/v1/introspect", self.introspection_at_once)}
        # Each answer names its route as the router would: refusals are recorded and requests measured by it.
        self._route = {path: route for route in router.routes if (path := getattr(route, "path", None))}

    async def session(self, scope: Scope, receive: Receive, send: Send) -> Outcome:
        scope["route"] = self._route["/v1/session"]
        if not windows_cached(self.services):
            return receive  # the route renews the maintenance windows (about once a second)
        request = Request(scope, receive)
        try:
            session = session_in_memory(self.services, presented_token(request)[0])
        except BastionError as refused:
            await problem_response(request, await recorded_off_loop(request, refused))(scope, receive, send)
            return None
        if session is None:
            return receive  # the route asks the database
        await json_answer(whoami_of(self.services, session))(scope, receive, send)
        return None

    def session_at_once(self, scope: Scope, _body: bytes) -> bytes | None:
        if not windows_cached(self.services):
            return None
        try:
            session = session_in_memory(self.services, presented_token(Request(scope))[0])
        except BastionError:
            return None  # answered, and recorded, the usual way
        return None if session is None else to_json(whoami_of(self.services, session))

    async def introspect(self, scope: Scope, receive: Receive, send: Send) -> Outcome:
        scope["route"] = self._route["/v1/introspect"]
        if not windows_cached(self.services):
            return receive
        secret, length = _key_and_length(scope)
        if not self._key_known(secret) or length is None or length > _LARGEST_INTROSPECTION:
            return receive  # the route asks the database for the key, or refuses the request
        try:
            body = await read_body(receive)
        except ClientDisconnect:
            return receive  # the route meets the same end and answers it as every route does
        content = self._introspection(body)
        if content is None:
            return replaying(body, receive)  # the route answers 422 with the field errors, or asks the database
        await json_answer(content)(scope, receive, send)
        return None

    def introspection_at_once(self, scope: Scope, body: bytes) -> bytes | None:
        if not windows_cached(self.services) or not self._key_known(_key_and_length(scope)[0]):
            return None
        content = self._introspection(body)
        return None if content is None else to_json(content)

    def _key_known(self, secret: str | None) -> bool:
        try:
            return secret is not None and cached_service_key(self.services, secret) is not None
        except BastionError:
            return False

    def _introspection(self, body: bytes) -> dict[str, Any] | None:
        """The answer to an introspection body from memory; None when the route is to answer it (a body
        the contract does not take, or a session to read)."""
        token = _token_in(body)
        if token is None:
            return None
        try:
            session = session_in_memory(self.services, token)
        except BastionError:
            return INACTIVE
        return None if session is None else introspection(session)


def _token_in(body: bytes) -> str | None:
    """The token of a body that is what `IntrospectIn` takes (an object with a string `token` within
    its bound; other fields ignored), read without building the model; None for anything else."""
    try:
        data = from_json(body)
    except ValueError:
        return None
    token = data.get("token") if isinstance(data, dict) else None
    return token if isinstance(token, str) and len(token) <= _LONGEST_TOKEN else None


_LONGEST_TOKEN = IntrospectIn.model_fields["token"].metadata[0].max_length


def _key_and_length(scope: Scope) -> tuple[str | None, int | None]:
    """From one pass over the headers: the service key presented as `service_key_secret` reads it
    (None: none or not a Bearer one), and the body's declared length (None: chunked, or no length;
    the route reads those)."""
    authorization: bytes | None = None
    length: int | None = None
    chunked = False
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is None:
                authorization = value
        elif name == b"content-length":
            if length is None:
                length = int(value) if value.isdigit() and len(value) < 12 else -1
        elif name == b"transfer-encoding":
            chunked = True
    secret = bearer_of(authorization.decode("latin-1")) if authorization is not None else None
    return secret, (None if chunked or length is None or length < 0 else length)

