"""Request dependencies: the services, the client, the signed-in session (and its account's language), the service key."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Request

from bastion import i18n
from bastion.accounts.preferences import preferences_of
from bastion.context import Client
from bastion.crypto import KeyRing
from bastion.errors import BastionError, Reason
from bastion.services import Services
from bastion.sessions.service_keys import authenticate_service_key
from bastion.sessions.tokens import SessionInfo
from bastion.sessions.validation import authenticate_session, authenticate_session_async
from bastion.web.client import client_from

SESSION_COOKIE = "bastion_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


# As dependencies they are coroutines: FastAPI runs a plain function dependency on a worker thread
# of its own, one more thread hop per request (and, while the threads wait for a hashing slot, one
# more thread) just to read the app's state.
async def _services(request: Request) -> Services:
    return get_services(request)


async def _client(request: Request) -> Client:
    return client_from(request)


def csrf_token_for(services: Services, session_id: str) -> str:
    """Tied to the session: a page of another site cannot know it (synchronizer token)."""
    return _csrf_token(services.keys, session_id)


@lru_cache(maxsize=65536)
def _csrf_token(keys: KeyRing, session_id: str) -> str:
    # GET /v1/session answers it on every call: one HMAC per session, not per request.
    return keys.mac("csrf", session_id)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    token = bearer_of(header)
    if token is None:
        raise BastionError(Reason.SESSION_INVALID)
    return token


def bearer_of(header: str) -> str | None:
    """The credential of an `Authorization: Bearer …` header; None for any other."""
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    return credential if credential and scheme.lower() == "bearer" else None


def presented_token(request: Request) -> tuple[str, bool]:
    """The session token of the request, and whether it came in the cookie (then unsafe methods need CSRF)."""
    token = bearer_token(request)
    if token is not None:
        return token, False
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise BastionError(Reason.SESSION_REQUIRED)
    return token, True


def session_from_request(request: Request, csrf_form_value: str | None = None) -> SessionInfo:
    services = get_services(request)
    token, from_cookie = presented_token(request)
    session = authenticate_session(services, token)
    request.state.account_id = session.account_id
    if from_cookie and request.method not in SAFE_METHODS:
        presented = request.headers.get(CSRF_HEADER) or csrf_form_value or ""
        if not services.keys.verify_mac("csrf", session.id, presented):
            raise BastionError(Reason.CSRF_INVALID)
    # The rest of the request speaks the account's language (unless this browser chose one) in its zone.
    saved = preferences_of(services, session.account_id)
    i18n.prefer(saved.language, saved.time_zone)
    return session


async def safe_session_from_request(request: Request) -> SessionInfo:
    """For safe methods (no CSRF to check), on the event loop: a thread only when the database must be asked."""
    token, _ = presented_token(request)
    session = await authenticate_session_async(get_services(request), token)
    request.state.account_id = session.account_id
    return session


def current_session(request: Request) -> SessionInfo:
    return session_from_request(request)


def service_key_secret(request: Request) -> str:
    secret = bearer_of(request.headers.get("authorization", ""))
    if secret is None:
        raise BastionError(Reason.SERVICE_KEY_INVALID)
    return secret


def service_key(request: Request) -> str:
    return authenticate_service_key(get_services(request), service_key_secret(request))


ServicesDep = Annotated[Services, Depends(_services)]
ClientDep = Annotated[Client, Depends(_client)]
SessionDep = Annotated[SessionInfo, Depends(current_session)]
ServiceKeyDep = Annotated[str, Depends(service_key)]

