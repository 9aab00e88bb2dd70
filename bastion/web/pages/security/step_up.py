""""Confirm it's you": step-up as a page (REQUIREMENTS 13), with the password or a code of any
second-factor method that may confirm it (authenticator app, backup code), then back to the page
the change was made from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.context import Client
from bastion.errors import BastionError
from bastion.mfa.flows.step_up import reauthenticate_with_factor
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.sessions.stepup import reauthenticate_with_password
from bastion.sessions.tokens import SessionInfo
from bastion.web.client import client_from
from bastion.web.inputs import OneTimeCode, Password, checked
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import SECURITY_PAGES, PageSession, account_page, page_session

router = APIRouter(prefix="/security/confirm")
FormText = Annotated[str, Form()]
_PAGES = frozenset(path for path, _ in SECURITY_PAGES)


def safe_back(back: str) -> str:
    """Only back to a page of the security center: nothing from the address is followed blindly."""
    return back if back in _PAGES else "/"


def step_up_page(request: Request, session: SessionInfo, back: str, error: BastionError | None = None,
                 method: str = "password") -> Response:
    services = request.app.state.services
    with services.db.transaction() as tx:
        enrolled = METHODS.enrolled(tx, session.account_id)
    factors = [factor for factor in METHODS if factor.step_up and factor.name in enrolled]
    chosen = next((factor for factor in factors if factor.name == method), None)
    return account_page(request, session, "security/step_up.html", error, back=safe_back(back), factors=factors,
                        chosen=chosen, minutes=services.settings.reauth_minutes)


def confirm_identity(services: Services, session: SessionInfo, method: str, secret: str, client: Client) -> None:
    """The password, or a code of the named second-factor method, checked as the API's step-up checks it."""
    if METHODS.get(method) is None:
        reauthenticate_with_password(services, session, checked(Password, secret, "secret"), client)
    else:
        reauthenticate_with_factor(services, session, method, checked(OneTimeCode, secret, "secret"), client)


@router.get("")
def step_up_form(request: Request, session: PageSession, back: str = "/", method: str = "password") -> Response:
    return step_up_page(request, session, back, method=method)


@router.post("")
def step_up_submit(request: Request, back: FormText = "/", method: FormText = "password", secret: FormText = "",
                   csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    session = page_session(request, csrf_token)
    try:
        confirm_identity(request.app.state.services, session, method, secret, client_from(request))
    except BastionError as error:
        return step_up_page(request, session, back, error, method=method)
    return see_other(f"{safe_back(back)}?done=confirmed")
