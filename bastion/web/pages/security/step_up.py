""""Confirm it's you": step-up as a page (REQUIREMENTS 13), with the password, an authenticator
code or a backup code, then back to the page the change was made from."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.mfa.factors import enrolled_methods
from bastion.mfa.flows.step_up import reauthenticate_with_backup_code, reauthenticate_with_totp
from bastion.sessions.stepup import reauthenticate_with_password
from bastion.sessions.tokens import SessionInfo
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.login import see_other
from bastion.web.pages.signed_in import SECURITY_PAGES, account_page, page_session

router = APIRouter(prefix="/security/confirm")
FormText = Annotated[str, Form()]
STEP_UP_METHODS = ("password", "totp", "backup_code")
_PAGES = frozenset(path for path, _ in SECURITY_PAGES)


def safe_back(back: str) -> str:
    """Only back to a page of the security center: nothing from the address is followed blindly."""
    return back if back in _PAGES else "/"


def step_up_page(request: Request, session: SessionInfo, back: str, error: BastionError | None = None,
                 method: str = "password") -> Response:
    services = request.app.state.services
    with services.db.transaction() as tx:
        methods = ["password", *enrolled_methods(tx, session.account_id)]
    methods = [item for item in STEP_UP_METHODS if item in methods]
    return account_page(request, session, "security/step_up.html", error, back=safe_back(back),
                        methods=methods, method=method if method in methods else "password",
                        minutes=services.settings.reauth_minutes)


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
    prove = {"totp": reauthenticate_with_totp, "backup_code": reauthenticate_with_backup_code}.get(
        method, reauthenticate_with_password)
    try:
        prove(services, session, secret[:1024], client)
    except BastionError as error:
        return step_up_page(request, session, back, error, method=method)
    return see_other(f"{safe_back(back)}?done=confirmed")
