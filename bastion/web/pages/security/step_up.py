""""Confirm it's you": step-up as a page (requirements §13), with the password or a code of any
second-factor method that may confirm it (authenticator app, backup code). The page says which
change waits for it, and makes that change once confirmed (`bastion.web.pages.changes`); with
none waiting, it goes back to the page it was asked from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.reauthentication import reauthenticate_with_password
from bastion.context import Client
from bastion.errors import BastionError
from bastion.mfa.flows.step_up import reauthenticate_with_factor
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.sessions.tokens import SessionInfo
from bastion.web.client import client_from
from bastion.web.inputs import OneTimeCode, Password, checked
from bastion.web.pages.changes import PENDING, make_pending, pending_change
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import PageSession, page_session, safe_back, step_up_page

router = APIRouter(prefix="/security/confirm")
FormText = Annotated[str, Form()]


def confirm_identity(services: Services, session: SessionInfo, method: str, secret: str, client: Client) -> None:
    """The password, or a code of the named second-factor method, checked as the API's step-up checks it."""
    if METHODS.get(method) is None:
        reauthenticate_with_password(services, session, checked(Password, secret, "secret"), client)
    else:
        reauthenticate_with_factor(services, session, method, checked(OneTimeCode, secret, "secret"), client)


def _page(request: Request, session: SessionInfo, back: str, error: BastionError | None = None,
          method: str = "password") -> Response:
    waiting = pending_change(request, session, safe_back(back))
    if waiting is None:
        return step_up_page(request, session, back, error, method=method)
    change, _ = waiting
    return step_up_page(request, session, change.back, error, method=method, waiting=change.words)


@router.get("")
def step_up_form(request: Request, session: PageSession, back: str = "/", method: str = "password") -> Response:
    return _page(request, session, back, method=method)


@router.post("")
def step_up_submit(request: Request, back: FormText = "/", method: FormText = "password", secret: FormText = "",
                   csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    session = page_session(request, csrf_token)
    try:
        confirm_identity(request.app.state.services, session, method, secret, client_from(request))
    except BastionError as error:
        return _page(request, session, back, error, method=method)
    waiting = pending_change(request, session, safe_back(back))
    if waiting is not None:  # with the session as it is now: just confirmed
        return make_pending(request, page_session(request, csrf_token), *waiting)
    return see_other(f"{safe_back(back)}?done=confirmed")


@router.get("/cancel")
def step_up_cancel(back: str = "/") -> Response:
    """Not now: the change kept for the confirmation is forgotten, and nothing else changes."""
    return PENDING.drop(see_other(safe_back(back)))
