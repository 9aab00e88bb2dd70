"""Sign-up and email confirmation pages.

A GET of the confirmation link never consumes the token (mail scanners prefetch
links): it shows a button, and the POST of that button confirms.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.background import BackgroundTask
from starlette.responses import Response

from bastion.accounts.passwords import MIN_LENGTH
from bastion.accounts.repo import normalize_email
from bastion.accounts.signup import confirmation_needs_password, start_sign_up, verify_email
from bastion.errors import BastionError, Reason
from bastion.web.api.schemas import SignUpIn, TokenIn, VerifyEmailIn
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, parse_form, public_form_page
from bastion.web.pages.mailbox import mailbox_enabled
from bastion.web.pages.render import refusal_page, render

router = APIRouter()

FormText = Annotated[str, Form()]


def _signup_form(request: Request, email: str = "", error: BastionError | None = None) -> Response:
    return public_form_page(request, "signup.html", error, email=email, min_length=MIN_LENGTH)


@router.get("/signup")
def signup_page(request: Request) -> Response:
    return _signup_form(request)


@router.post("/signup")
def signup_submit(request: Request, email: FormText = "", password: FormText = "",
                  csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    services = request.app.state.services
    try:
        check_form_csrf(request, csrf_token)
        body = parse_form(SignUpIn, email=email, password=password)
        work = start_sign_up(services, body.email, body.password, client_from(request))
    except BastionError as error:
        # Shown above the form (with a fresh CSRF token when that was the trouble), email kept.
        return _signup_form(request, email=email.strip(), error=error)
    # The same page whether or not the address already had an account, as fast: the work runs after it.
    page = render(request, "signup_sent.html", email=normalize_email(body.email), mailbox=mailbox_enabled(services.settings))
    page.background = BackgroundTask(work)
    return page


def _confirm_form(request: Request, token: str, needs_password: bool, error: BastionError | None = None) -> Response:
    return public_form_page(request, "confirm.html", error, token=token, needs_password=needs_password)


@router.get("/confirm")
def confirm_page(request: Request, token: str = "") -> Response:
    """A dead link says so before anything is pressed; an address signed up twice asks for the password."""
    try:
        body = parse_form(TokenIn, token=token)
        needs_password = confirmation_needs_password(request.app.state.services, body.token, client_from(request))
    except BastionError as error:
        invalid_link = error.code == Reason.REQUEST_INVALID
        return refusal_page(request, BastionError(Reason.TOKEN_INVALID) if invalid_link else error)
    return _confirm_form(request, body.token, needs_password)


@router.post("/confirm")
def confirm_submit(request: Request, token: FormText = "", password: FormText = "",
                   csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    try:
        body = parse_form(TokenIn, token=token)
    except BastionError:
        return refusal_page(request, BastionError(Reason.TOKEN_INVALID))
    try:
        check_form_csrf(request, csrf_token)
    except BastionError as error:
        return _confirm_form(request, body.token, bool(password), error)
    try:
        proof = parse_form(VerifyEmailIn, token=body.token, password=password or None).password
        verify_email(request.app.state.services, body.token, client_from(request), proof)
    except BastionError as error:
        if error.code.startswith("signup.password") or error.code == "request.invalid":
            return _confirm_form(request, body.token, True, error)
        return refusal_page(request, error)
    return render(request, "confirm_done.html")
