"""Sign-in and sign-out pages: the session travels in the `bastion_session` cookie."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.i18n import N_, _
from bastion.ops.maintenance import current_window
from bastion.sessions.sign_out import sign_out
from bastion.sessions.validation import authenticate_session
from bastion.signin.password import sign_in_with_password
from bastion.web.api.schemas import LoginIn
from bastion.web.client import client_from, new_device_id, set_device_cookie
from bastion.web.deps import SESSION_COOKIE
from bastion.web.pages.again import REFUSAL, refusal_for, refused_at
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, parse_form, public_form_page
from bastion.web.pages.next_step import next_step_response
from bastion.web.pages.redirects import see_other, to_login
from bastion.web.pages.signed_in import page_session
from bastion.web.problems import recorded_off_loop
from bastion.web.return_to import after_sign_in, allowed_return, remember_return_to

router = APIRouter()

FormText = Annotated[str, Form()]
# Notices after a redirect come from this fixed list: nothing from the address is echoed.
NOTICES = {"signed-out": N_("You are signed out."),
           "staff-enrolment": N_("Sign in with your password first: you then come back to your staff enrolment "
                                 "link.")}


def _login_form(request: Request, email: str = "", remember: bool = False,
                error: BastionError | None = None, notice: str | None = None) -> Response:
    return public_form_page(request, "login.html", error, email=email, remember=remember, notice=notice,
                            maintenance=current_window(request.app.state.services))


def _signed_in(request: Request) -> bool:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return False
    try:
        authenticate_session(request.app.state.services, token)
    except BastionError:
        return False
    return True


@router.get("/login")
def login_page(request: Request, done: str = "", return_to: str = "") -> Response:
    """`return_to`: the platform page to go back to after sign-in (only one of BASTION_RETURN_URLS)."""
    refused = refusal_for(request, "/login")
    if refused is not None:  # the refusal of the form just sent, shown once
        error, typed = refused
        return REFUSAL.drop(_login_form(request, email=str(typed.get("email", "")), remember=bool(typed.get("remember")),
                                        error=error))
    if _signed_in(request):
        origins = request.app.state.services.settings.return_origins
        return see_other(allowed_return(return_to, origins) or after_sign_in(request))
    return remember_return_to(request, _login_form(request, notice=_(NOTICES[done]) if done in NOTICES else None), return_to)


@router.post("/login")
def login_submit(request: Request, email: FormText = "", password: FormText = "", remember: FormText = "",
                 csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    services = request.app.state.services
    keep = remember == "on"
    try:
        check_form_csrf(request, csrf_token)
        body = parse_form(LoginIn, email=email, password=password, remember_device=keep)
        device = new_device_id(request)
        result = sign_in_with_password(services, body.email, body.password, client_from(request, device),
                                       remember=keep)
    except BastionError as error:
        return _refused(request, error, email.strip()[:1024], keep)
    response = next_step_response(request, result)
    # The next step must come from this browser: it keeps the device identifier the flow is bound to.
    set_device_cookie(request, response, device)
    return response


def _refused(request: Request, error: BastionError, typed_email: str, keep: bool) -> Response:
    return refused_at(request, "/login", error, partial(_login_form, request, typed_email, keep, error),
                      {"email": typed_email, "remember": keep})


async def refused_unread(request: Request, error: BastionError) -> Response:
    """The form's answer to a refusal made before it was read (the door's, for a held network):
    `login_submit`'s, without what was typed, which was never read."""
    return _refused(request, await recorded_off_loop(request, error), "", False)


@router.post("/logout")
def logout(request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    services = request.app.state.services
    session = page_session(request, csrf_token)
    sign_out(services, session, client_from(request))
    return to_login(request, "signed-out")
