"""The authorization endpoint's decisions: send the person through sign-in, a confirmation or the
consent page, or straight back to the app with a code.

authlib validates the request (client, exact redirect address, response type, scopes, PKCE,
`prompt`). A request that cannot be sent back to a validated redirect address is refused on
Bastion's own page (`oauth.invalid_request`), never redirected: no open redirect. While the person
is busy on Bastion's pages, the request waits here (`OidcAuthorizationRequest`), bound to their
browser; the pages come back to it by its id alone.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error  # type: ignore[import-untyped]
from authlib.oidc.core.errors import (  # type: ignore[import-untyped]
    ConsentRequiredError,
    LoginRequiredError,
    RequestNotSupportedError,
    RequestURINotSupportedError,
)

from bastion.context import Client
from bastion.crypto import constant_time_equal, hash_token
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.numbers import whole_number
from bastion.oidc.authn import authentication_of, needs_for
from bastion.oidc.consent import consented, save_consent
from bastion.oidc.models import OidcAuthorizationRequest
from bastion.oidc.people import load_person
from bastion.oidc.protocol import Answer, ProviderRequest
from bastion.oidc.repo import requests as repo
from bastion.oidc.server import Authorizing, Provider
from bastion.sessions.tokens import SessionInfo

AUTHORIZE_PATH = "/oauth2/authorize"
PENDING_MINUTES = 30
RESPONSE_MODES = ("query", "form_post")
# The parameters the provider understands, each with the longest value it takes (the columns it
# is stored in: nonce and code challenge in oidc_grants, redirect address in oidc_clients); only
# these are kept while the person signs in, and a longer one is refused with `invalid_request`.
PARAM_LIMITS = {"client_id": 64, "redirect_uri": 500, "response_type": 32, "scope": 500, "state": 1024,
                "nonce": 255, "code_challenge": 128, "code_challenge_method": 8, "response_mode": 16,
                "prompt": 64, "max_age": 16, "acr_values": 64, "login_hint": 320, "ui_locales": 64,
                "display": 16, "id_token_hint": 4096, "claims_locales": 64}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")  # secrets.token_urlsafe(24)
MAX_STORED_CHARS = 4096  # a waiting request's parameters, all together (an id_token_hint is not kept)


@dataclass(frozen=True)
class ToClient:
    """Back to the app: a code or an OAuth error at its redirect address."""

    answer: Answer
    response_mode: str = "query"
    after_page: bool = False  # it follows one of Bastion's pages (see web.oidc.delivery)
    client_name: str = "the app"


@dataclass(frozen=True)
class Interaction:
    """The person has something to do on Bastion's pages first."""

    step: str  # sign_in | confirm | consent
    request_id: str
    client_name: str = ""
    scopes: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    second_factor: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


Outcome = ToClient | Interaction


def authorize(provider: Provider, request: ProviderRequest, session: SessionInfo | None, browser: str) -> Outcome:
    """A fresh request from the app (GET or POST /oauth2/authorize)."""
    return _decide(provider, request, session, browser, pending=None)


def resume(provider: Provider, request_id: str, session: SessionInfo | None, browser: str, client: Client,
           consent: bool | None = None) -> Outcome:
    """Back from sign-in, a confirmation, or the consent page (`consent`: the person's answer)."""
    pending = _load_pending(provider, request_id, browser)
    request = ProviderRequest("GET", AUTHORIZE_PATH, {}, [tuple(item) for item in pending.params["items"]],
                              client, provider.issuer)
    return _decide(provider, request, session, browser, pending=pending, consent=consent)


def _decide(provider: Provider, request: ProviderRequest, session: SessionInfo | None, browser: str,
            pending: OidcAuthorizationRequest | None, consent: bool | None = None) -> Outcome:
    services = provider.services
    person = load_person(services, session.account_id) if session is not None else None
    try:
        grant = provider.get_consent_grant(request, end_user=person)
    except OAuth2Error as error:
        return _refusal(provider, request, error, pending)
    data = request.payload.data
    redirect_uri, state = grant.redirect_uri, data.get("state")
    after_page = pending is not None
    try:
        _check_lengths(data)
        mode = _response_mode(data, redirect_uri)
        max_age = _max_age(data)
        if "request" in data:
            raise RequestNotSupportedError()
        if "request_uri" in data:
            raise RequestURINotSupportedError()
        if session is None or person is None:
            return Interaction("sign_in", _keep(provider, request, browser, pending))
        requested_at = pending.created_at if pending is not None else services.clock.now()
        prompts = set((data.get("prompt") or "").split())
        client = request.client
        scopes = (request.scope or "").split()
        with services.db.transaction() as tx:
            auth = authentication_of(tx, session)
            needs = needs_for(tx, session, auth, requested_at, "login" in prompts, max_age,
                              tuple((data.get("acr_values") or "").split()))
            allowed = client.row.first_party or (consented(tx, person.id, client.client_id, scopes)
                                                 and "consent" not in prompts)
        if needs.what is not None:
            if "none" in prompts:
                raise LoginRequiredError()
            return Interaction("confirm", _keep(provider, request, browser, pending), client.name,
                               methods=needs.methods, second_factor=needs.what == "second_factor")
        if consent is False:
            return _finish(provider, request, grant, None, pending, mode)
        if not allowed and consent is None:
            if "none" in prompts:
                raise ConsentRequiredError()
            return Interaction("consent", _keep(provider, request, browser, pending), client.name, tuple(scopes))
        if not allowed:
            with services.db.transaction() as tx:
                save_consent(tx, services.clock.now(), person.id, client.client_id, scopes, request.bastion_client)
    except OAuth2Error as error:
        error.redirect_uri, error.state = redirect_uri, state
        return ToClient(provider.error_answer(request, error), _mode_or_query(data, redirect_uri), after_page,
                        request.client.name)
    return _finish(provider, request, grant, Authorizing(person, session.id, auth), pending, mode)


def _finish(provider: Provider, request: ProviderRequest, grant: Any, who: Authorizing | None,
            pending: OidcAuthorizationRequest | None, mode: str) -> ToClient:
    """The code (or, `who` None, access_denied) for the app; a waiting request is used up first."""
    if pending is not None:
        _use_pending(provider, pending)
    return ToClient(provider.create_authorization_response(request, grant_user=who, grant=grant), mode,
                    pending is not None, request.client.name)


def _refusal(provider: Provider, request: ProviderRequest, error: OAuth2Error,
             pending: OidcAuthorizationRequest | None) -> Outcome:
    """Errors authlib raised while validating: back to the app only when its redirect address is
    validated (the error names it), else Bastion's own page."""
    if not error.redirect_uri:
        raise BastionError(Reason.OAUTH_INVALID_REQUEST, detail=_("The app's request was refused: %(reason)s.")
                           % {"reason": error.description or error.error})
    if pending is not None:
        _use_pending(provider, pending)
    data = request.payload.data
    name = request.client.name if request.client is not None else _("the app")
    return ToClient(provider.error_answer(request, error), _mode_or_query(data, error.redirect_uri),
                    pending is not None, name)


def _response_mode(data: dict[str, str], redirect_uri: str) -> str:
    mode = data.get("response_mode") or "query"
    if mode not in RESPONSE_MODES:
        raise InvalidRequestError("response_mode must be query or form_post.")
    if mode == "form_post" and not redirect_uri.startswith(("https://", "http://")):
        raise InvalidRequestError("form_post needs an http(s) redirect address.")
    return mode


def _mode_or_query(data: dict[str, str], redirect_uri: str) -> str:
    try:
        return _response_mode(data, redirect_uri)
    except InvalidRequestError:
        return "query"


def _check_lengths(data: dict[str, str]) -> None:
    for name, limit in PARAM_LIMITS.items():
        if len(data.get(name) or "") > limit:
            raise InvalidRequestError(f"{name} is longer than {limit} characters.")


def _kept(request: ProviderRequest) -> list[list[str]]:
    """What a waiting request keeps: the first value of each parameter the provider understands."""
    datalist = request.payload.datalist
    items = [[key, datalist[key][0]] for key in PARAM_LIMITS if key != "id_token_hint" and datalist.get(key)]
    if sum(len(key) + len(value) for key, value in items) > MAX_STORED_CHARS:
        raise BastionError(Reason.OAUTH_INVALID_REQUEST, detail=_("The app's request was refused: it is too large."))
    return items


def _max_age(data: dict[str, str]) -> int | None:
    value = data.get("max_age")
    if value is None or value == "":
        return None
    seconds = whole_number(value, maximum=999_999_999)
    if seconds is None:
        raise InvalidRequestError("max_age must be a number of seconds.")
    return seconds


def _keep(provider: Provider, request: ProviderRequest, browser: str,
          pending: OidcAuthorizationRequest | None) -> str:
    """The waiting request's id: the one it already has, or a new one bound to this browser."""
    if pending is not None:
        return pending.id
    services = provider.services
    now = services.clock.now()
    items = _kept(request)
    # Each waiting request is a stored row: a flood is refused before it is written.
    services.throttle.spend(now, ("oidc_pending_ip", request.bastion_client.ip or "unknown"))
    request_id = secrets.token_urlsafe(24)
    with services.db.transaction() as tx:
        repo.add_waiting_request(tx, request_id, hash_token(browser), request.client.get_client_id(), {"items": items},
                                 now, now + timedelta(minutes=PENDING_MINUTES))
    return request_id


def is_request_id(value: str) -> bool:
    """Whether `value` has the shape of a waiting request's id (anything else is never looked up)."""
    return bool(_REQUEST_ID.match(value))


def _load_pending(provider: Provider, request_id: str, browser: str) -> OidcAuthorizationRequest:
    if not is_request_id(request_id):
        raise BastionError(Reason.OAUTH_REQUEST_EXPIRED)
    services = provider.services
    with services.db.transaction() as tx:
        row = repo.find_waiting_request(tx, request_id[:64])
    if row is None or row.used_at is not None or not constant_time_equal(hash_token(browser), row.browser_hash):
        raise BastionError(Reason.OAUTH_REQUEST_EXPIRED)
    if services.clock.now() >= row.expires_at:
        raise BastionError(Reason.OAUTH_REQUEST_EXPIRED)
    return row


def _use_pending(provider: Provider, pending: OidcAuthorizationRequest) -> None:
    """Once answered, a waiting request cannot answer again (a second code from one request)."""
    services = provider.services
    with services.db.transaction() as tx:
        used = repo.use_waiting_request(tx, pending.id, services.clock.now())
    if not used:
        raise BastionError(Reason.OAUTH_REQUEST_EXPIRED)
