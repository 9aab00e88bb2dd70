"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an app sends the person here to
sign out of Bastion too, and back to one of its registered post-logout addresses (exact match).

authlib validates the request (the `id_token_hint` must be a token Bastion signed, `client_id` must
be its audience, the address must be registered). The session ends at once when the hint names the
person signed in here; otherwise — no hint, or a hint for someone else — the person confirms on a
page first (§6: a bare logout link must not sign anyone out). Ending the session tells every app
that signed in through it (back-channel logout).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.oidc.protocol import ProviderRequest
from bastion.oidc.server import provider_for
from bastion.sessions.sign_out import sign_out
from bastion.sessions.tokens import SessionInfo
from bastion.web.client import client_from
from bastion.web.deps import SESSION_COOKIE, csrf_token_for, session_from_request
from bastion.web.oidc.authorize import browser_session, request_params
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.redirects import SIGNED_OUT, to_login
from bastion.web.pages.render import refusal_page, render

router = APIRouter(include_in_schema=False)
KEPT = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")


def _validated(request: Request, params: list[tuple[str, str]]) -> Any:
    provider = provider_for(request.app.state.services)
    oauth_request = ProviderRequest(request.method, "/oauth2/logout", request.headers, params, client_from(request),
                                    provider.issuer)
    try:
        return provider.validate_endpoint_request("end_session", oauth_request)
    except OAuth2Error as error:
        raise BastionError(Reason.OAUTH_INVALID_REQUEST,
                           detail=_("The app's sign-out request was refused: %(reason)s.")
                           % {"reason": error.description or error.error}) from None


def _signed_out(request: Request, redirect_uri: str | None, after_form: bool) -> Response:
    if redirect_uri is None:
        return to_login(request, "signed-out")
    if after_form:  # the page's form-action allows Bastion only, redirects included: move on from a page
        response = render(request, "oidc/continue.html", client_name=_("the app"), location=redirect_uri,
                          fields=None)
    else:
        response = RedirectResponse(redirect_uri, status_code=302)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _end(request: Request, session: SessionInfo, validated: Any) -> None:
    app = validated.client.get_client_id() if validated.client is not None else "-"
    sign_out(request.app.state.services, session, client_from(request), app_id=app)


@router.api_route("/oauth2/logout", methods=["GET", "POST"])
async def end_session(request: Request) -> Response:
    params = await request_params(request)
    return _answer_logout(request, params)


def _answer_logout(request: Request, params: list[tuple[str, str]]) -> Response:
    try:
        validated = _validated(request, params)
    except BastionError as error:
        return refusal_page(request, error)
    session = browser_session(request)
    if session is None:
        return _signed_out(request, validated.redirect_uri, after_form=False)
    hint = validated.id_token_claims or {}
    if hint.get("sub") == session.account_id and hint.get("sid") in (None, session.id):
        _end(request, session, validated)
        return _signed_out(request, validated.redirect_uri, after_form=False)
    kept = [(key, value) for key, value in params if key in KEPT]
    return render(request, "oidc/logout.html", email=session.email, fields=kept,
                  client_name=validated.client.name if validated.client is not None else None,
                  csrf_token=csrf_token_for(request.app.state.services, session.id))


@router.post("/oauth2/logout/confirm")
async def confirm_end_session(request: Request) -> Response:
    params = [(key, value) for key, value in (await request.form()).multi_items()
              if isinstance(value, str) and key in (*KEPT, CSRF_FIELD)]
    return _confirmed(request, params)


def _confirmed(request: Request, params: list[tuple[str, str]]) -> Response:
    csrf = dict(params).get(CSRF_FIELD, "")
    try:
        session = session_from_request(request, csrf_form_value=csrf)
        validated = _validated(request, [item for item in params if item[0] != CSRF_FIELD])
    except BastionError as error:
        if error.code in SIGNED_OUT:
            return to_login(request, "signed-out")
        return refusal_page(request, error)
    _end(request, session, validated)
    return _signed_out(request, validated.redirect_uri, after_form=True)



