"""The two routes behind every request a platform serves: `GET /v1/session` and `POST /v1/introspect`.

Both are `DirectRoute`s (bastion/web/direct.py): documented by their response models, served
without FastAPI's dependency and model machinery, and answered on the event loop from the
session cache — a thread and the database only on a cache miss.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.sessions.holds import Restriction
from bastion.sessions.service_keys import authenticate_service_key, cached_service_key
from bastion.sessions.validation import authenticate_session_async
from bastion.web.api.schemas import IntrospectIn, IntrospectOut, WhoAmIOut
from bastion.web.deps import csrf_token_for, get_services, safe_session_from_request, service_key_secret
from bastion.web.direct import DirectRoute, json_answer, parse_body, read_body, request_body_schema
from bastion.web.openapi import problems
from bastion.web.problems import problem_response

router = APIRouter(prefix="/v1", route_class=DirectRoute)
_INACTIVE = {"active": False, "restrictions": []}


def _restrictions(holds: tuple[Restriction, ...]) -> list[dict[str, Any]]:
    return [{"kind": hold.kind, "reason": hold.reason, "until": hold.until} for hold in holds]


@router.get("/session", response_model=WhoAmIOut, tags=["me"], responses=problems(401, 403, 503))
async def whoami(request: Request) -> Response:
    """Who is signed in: the account, the session, and the restrictions the platform must respect."""
    try:
        session = await safe_session_from_request(request)
    except BastionError as refused:  # answered here: a flood of made-up tokens skips the exception layers
        return problem_response(request, refused)
    return json_answer({
        "account": {"id": session.account_id, "email": session.email},
        "session": {"id": session.id, "created_at": session.created_at, "expires_at": session.expires_at,
                    "idle_expires_at": session.idle_expires_at, "authenticated_at": session.authenticated_at,
                    "aal": session.aal},
        "restrictions": _restrictions(session.restrictions),
        "csrf_token": csrf_token_for(get_services(request), session.id),
    })


@router.post("/introspect", response_model=IntrospectOut, response_model_exclude_none=True, tags=["platform"],
             responses=problems(401, 422), openapi_extra=request_body_schema(IntrospectIn))
async def introspect(request: Request) -> Response:
    """Whether a session token is live, and what the platform must respect (restrictions). Needs a service key."""
    services = get_services(request)
    secret = service_key_secret(request)
    if cached_service_key(services, secret) is None:
        await anyio.to_thread.run_sync(authenticate_service_key, services, secret)
    body = parse_body(IntrospectIn, await read_body(request))  # bounded by the edge (body_limit.py)
    try:
        session = await authenticate_session_async(services, body.token)
    except BastionError:
        return json_answer(_INACTIVE)
    return json_answer({"active": True, "account_id": session.account_id, "session_id": session.id,
                        "aal": session.aal, "restrictions": _restrictions(session.restrictions),
                        "expires_at": session.idle_expires_at})
