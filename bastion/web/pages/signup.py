"""Sign-up and email confirmation pages.

A GET of the confirmation link never consumes the token (mail scanners prefetch
links): it shows a button, and the POST of that button confirms. Each POST that succeeds sends the
browser on to a page that shows the result (Post/Redirect/Get: Back never posts again).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.background import BackgroundTask
from starlette.responses import Response

from bastion.accounts.passwords import MIN_LENGTH
from bastion.accounts.repo import normalize_email
from bastion.accounts.signup import confirmation_link_state, start_sign_up, verify_email
from bastion.errors import BastionError, Reason
from bastion.ops.maintenance import current_window
from bastion.web.api.schemas import SignUpIn, TokenIn, VerifyEmailIn
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, parse_form, public_form_page
from bastion.web.pages.mailbox import mailbox_enabled
from bastion.web.pages.memo import Memo
from bastion.web.pages.redirects import see_other
from bastion.web.pages.render import refusal_page, render

router = APIRouter()

FormText = Annotated[str, Form()]
SENT = Memo("signup_sent", "/signup/sent", minutes=30)
CONFIRMED = Memo("email_confirmed", "/confirm/done", minutes=30)


def _signup_form(request: Request, email: str = "", error: BastionError | None = None) -> Response:
    return public_form_page(request, "signup.html", error, email=email, min_length=MIN_LENGTH,
                            maintenance=current_window(request.app.state.services))


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
    # The same answer whether or not the address already had an account, as fast: the work runs after it.
    answer = SENT.keep(request, see_other(SENT.path), {"email": normalize_email(body.email)})
    answer.background = BackgroundTask(work)
    return answer


@router.get("/signup/sent")
def signup_sent(request: Request) -> Response:
    kept = SENT.read(request)
    if kept is None:
        return see_other("/signup")
    return render(request, "signup_sent.html", email=str(kept.get("email", "")),
                  mailbox=mailbox_enabled(request.app.state.services.settings))


def _confirm_form(request: Request, token: str, needs_password: bool, error: BastionError | None = None) -> Response:
    return public_form_page(request, "confirm.html", error, token=token, needs_password=needs_password)


@router.get("/confirm")
def confirm_page(request: Request, token: str = "") -> Response:
    """A dead link says so before anything is pressed, a second click that it already confirmed the
    address; an address signed up twice asks for the password."""
    try:
        body = parse_form(TokenIn, token=token)
        state = confirmation_link_state(request.app.state.services, body.token, client_from(request))
    except BastionError as error:
        invalid_link = error.code == Reason.REQUEST_INVALID
        return refusal_page(request, BastionError(Reason.TOKEN_INVALID) if invalid_link else error)
    if state == "already_confirmed":
        return render(request, "confirm_done.html", again=True)
    return _confirm_form(request, body.token, state == "confirm_with_password")


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
    return CONFIRMED.keep(request, see_other(CONFIRMED.path), {})


@router.get("/confirm/done")
def confirm_done(request: Request) -> Response:
    if CONFIRMED.read(request) is None:
        return see_other("/login")
    return render(request, "confirm_done.html", again=False)
