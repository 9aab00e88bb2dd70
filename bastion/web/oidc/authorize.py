"""The authorization endpoint and the pages it may send a person through: sign-in (Bastion's own
/login), "Confirm it's you" for an app, and the consent page.

The waiting request's id is the only thing that travels in addresses and forms; it is bound to
this browser (`bastion_oidc_browser` cookie), and every form here carries the session's CSRF token.
"""

from __future__ import annotations

import secrets
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.mfa.registry import METHODS
from bastion.oidc import authorize as flow
from bastion.oidc.authorize import Interaction, Outcome
from bastion.oidc.consent import SCOPE_WORDS
from bastion.oidc.protocol import ProviderRequest
from bastion.oidc.server import provider_for
from bastion.sessions.tokens import SessionInfo
from bastion.sessions.validation import authenticate_session
from bastion.web.client import client_from
from bastion.web.deps import SESSION_COOKIE, csrf_token_for, session_from_request
from bastion.web.oidc.delivery import to_client
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.redirects import SIGNED_OUT, see_other
from bastion.web.pages.render import form_page, refusal_page
from bastion.web.pages.security.step_up import confirm_identity
from bastion.web.return_to import forget_return, remember_return

router = APIRouter(include_in_schema=False)
BROWSER_COOKIE = "bastion_oidc_browser"
FormText = Annotated[str, Form()]


def _browser(request: Request) -> tuple[str, bool]:
    """This browser's binding value, and whether it is new (then it must be set on the answer)."""
    value = request.cookies.get(BROWSER_COOKIE, "")
    if len(value) == 43:
        return value, False
    return secrets.token_urlsafe(32), True


def browser_session(request: Request) -> SessionInfo | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return authenticate_session(request.app.state.services, token)
    except BastionError:
        return None


async def request_params(request: Request) -> list[tuple[str, str]]:
    params = list(request.query_params.multi_items())
    if request.method == "POST":
        form = await request.form()  # bounded by the edge (bastion/web/body_limit.py)
        params += [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    return params


@router.api_route("/oauth2/authorize", methods=["GET", "POST"])
async def authorize(request: Request) -> Response:
    services = request.app.state.services
    provider = provider_for(services)
    oauth_request = ProviderRequest(request.method, request.url.path, request.headers, await request_params(request),
                                    client_from(request), provider.issuer)
    browser, new = _browser(request)
    # A POST comes from another site (the app's page): the session cookie is not taken as the person's
    # word for it without a CSRF token, so they sign in (SameSite=Lax keeps it off such posts anyway).
    session = browser_session(request) if request.method == "GET" else None
    try:
        outcome = await anyio.to_thread.run_sync(flow.authorize, provider, oauth_request, session, browser)
    except BastionError as error:
        return refusal_page(request, error)
    response = await anyio.to_thread.run_sync(_answer, request, outcome)
    if new:
        response.set_cookie(BROWSER_COOKIE, browser, path="/oauth2", httponly=True, samesite="lax",
                            secure=services.settings.cookie_secure)
    return response


@router.get("/oauth2/authorize/resume/{request_id}")
def resume(request: Request, request_id: str) -> Response:
    """Where sign-in comes back to (bastion.web.return_to)."""
    return _continue(request, request_id)


def _continue(request: Request, request_id: str, consent: bool | None = None) -> Response:
    services = request.app.state.services
    browser, _new = _browser(request)
    session = browser_session(request)
    try:
        outcome = flow.resume(provider_for(services), request_id, session, browser, client_from(request),
                              consent=consent)
    except BastionError as error:
        if error.code == Reason.OAUTH_REQUEST_EXPIRED and session is not None and consent is None:
            return forget_return(see_other("/"))  # an app sign-in given up earlier: sign-in goes home
        return forget_return(refusal_page(request, error))
    return _answer(request, outcome)


def _answer(request: Request, outcome: Outcome) -> Response:
    if not isinstance(outcome, Interaction):
        return forget_return(to_client(request, outcome))
    if outcome.step == "sign_in":
        return remember_return(request, see_other("/login"), outcome.request_id)
    session = browser_session(request)
    if session is None:  # signed out meanwhile
        return remember_return(request, see_other("/login"), outcome.request_id)
    if outcome.step == "confirm":
        return _confirm_page(request, session, outcome)
    return _consent_page(request, session, outcome)


# Confirm it's you ---------------------------------------------------------------------------

def _confirm_page(request: Request, session: SessionInfo, outcome: Interaction, error: BastionError | None = None,
                  method: str = "") -> Response:
    methods = list(outcome.methods)
    chosen = METHODS.get(method if method in methods else methods[0])  # None: the password
    words = {"password": _("your password"), **{factor.name: _(factor.words.named) for factor in METHODS}}
    return form_page(request, "oidc/confirm.html", error, client_name=outcome.client_name,
                     request_id=outcome.request_id, methods=methods, chosen=chosen, method_words=words,
                     second_factor=outcome.second_factor, email=session.email,
                     csrf_token=csrf_token_for(request.app.state.services, session.id))


@router.get("/oauth2/confirm/{request_id}")
def confirm_form(request: Request, request_id: str, method: str = "") -> Response:
    outcome = _interaction(request, request_id)
    if isinstance(outcome, Response):
        return outcome
    if not isinstance(outcome, Interaction) or outcome.step != "confirm":
        return _answer(request, outcome)
    session = browser_session(request)
    if session is None:
        return _signed_out(request, request_id)
    return _confirm_page(request, session, outcome, method=method)


@router.post("/oauth2/confirm/{request_id}")
def confirm_submit(request: Request, request_id: str, method: FormText = "password", secret: FormText = "",
                   csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    try:
        session = session_from_request(request, csrf_form_value=csrf_token)
    except BastionError as error:
        return _signed_out(request, request_id) if error.code in SIGNED_OUT else refusal_page(request, error)
    outcome = _interaction(request, request_id)
    if isinstance(outcome, Response):
        return outcome
    if not isinstance(outcome, Interaction) or outcome.step != "confirm":
        return _answer(request, outcome)
    if method not in outcome.methods:
        return _confirm_page(request, session, outcome)
    try:
        confirm_identity(request.app.state.services, session, method, secret, client_from(request))
    except BastionError as error:
        return _confirm_page(request, session, outcome, error, method)
    return _continue(request, request_id)


# Consent ------------------------------------------------------------------------------------

def _consent_page(request: Request, session: SessionInfo, outcome: Interaction) -> Response:
    return form_page(request, "oidc/consent.html", client_name=outcome.client_name, request_id=outcome.request_id,
                     scopes=[(scope, _(SCOPE_WORDS[scope])) for scope in outcome.scopes if scope in SCOPE_WORDS],
                     email=session.email, csrf_token=csrf_token_for(request.app.state.services, session.id))


@router.post("/oauth2/consent/{request_id}")
def consent_submit(request: Request, request_id: str, decision: FormText = "",
                   csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    """Allow or deny: only from Bastion's own page (the session's CSRF token), for this browser's request."""
    try:
        session_from_request(request, csrf_form_value=csrf_token)
    except BastionError as error:
        return _signed_out(request, request_id) if error.code in SIGNED_OUT else refusal_page(request, error)
    return _continue(request, request_id, consent=decision == "allow")


def _interaction(request: Request, request_id: str) -> Outcome | Response:
    """Where the waiting request stands now: still a step for the person, or already its answer."""
    services = request.app.state.services
    browser, _new = _browser(request)
    session = browser_session(request)
    if session is None:
        return _signed_out(request, request_id)
    try:
        return flow.resume(provider_for(services), request_id, session, browser, client_from(request))
    except BastionError as error:
        return forget_return(refusal_page(request, error))


def _signed_out(request: Request, request_id: str) -> Response:
    if not flow.is_request_id(request_id):  # not an id Bastion made: nothing to come back to
        return refusal_page(request, BastionError(Reason.OAUTH_REQUEST_EXPIRED))
    return remember_return(request, see_other("/login"), request_id)
