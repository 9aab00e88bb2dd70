""""Confirm it's you": step-up as a page (requirements §13), with the password or a code of any
second-factor method that may confirm it (authenticator app, backup code), then back to the page
the change was made from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.reauthentication import reauthenticate_with_password
from bastion.errors import BastionError
from bastion.mfa.flows.step_up import reauthenticate_with_factor
from bastion.mfa.registry import METHODS
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import page_session, safe_back, step_up_page

router = APIRouter(prefix="/security/confirm")
FormText = Annotated[str, Form()]


@router.get("")
def step_up_form(request: Request, back: str = "/", method: str = "password") -> Response:
    session = page_session(request)
    if isinstance(session, Response):
        return session
    return step_up_page(request, session, back, method=method)


@router.post("")
def step_up_submit(request: Request, back: FormText = "/", method: FormText = "password", secret: FormText = "",
                   csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    session = page_session(request, csrf_token)
    if isinstance(session, Response):
        return session
    services, client = request.app.state.services, client_from(request)
    try:
        if METHODS.get(method) is None:
            reauthenticate_with_password(services, session, secret[:1024], client)
        else:
            reauthenticate_with_factor(services, session, method, secret[:1024], client)
    except BastionError as error:
        return step_up_page(request, session, back, error, method=method)
    return see_other(f"{safe_back(back)}?done=confirmed")
