"""Forgot-password pages: ask for a link, then set the new password from it.

As with every emailed link, a GET only shows the form; the POST uses the token. Each POST that
succeeds sends the browser on to the page of its result (Post/Redirect/Get).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.background import BackgroundTask
from starlette.responses import Response

from bastion.accounts.passwords import MIN_LENGTH
from bastion.accounts.repo import normalize_email
from bastion.errors import BastionError, Reason
from bastion.recovery.password_reset import check_reset_link, confirm_password_reset, start_password_reset
from bastion.web.api.recovery import ResetConfirmIn, ResetRequestIn
from bastion.web.api.schemas import TokenIn
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, parse_form, public_form_page
from bastion.web.pages.mailbox import mailbox_enabled
from bastion.web.pages.memo import Memo
from bastion.web.pages.redirects import see_other
from bastion.web.pages.render import refusal_page, render

router = APIRouter(prefix="/password-reset")
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
SENT = Memo("reset_sent", "/password-reset/sent", minutes=30)
DONE = Memo("reset_done", "/password-reset/done", minutes=30)


def _form(request: Request, name: str, error: BastionError | None = None, **context: object) -> Response:
    return public_form_page(request, name, error, min_length=MIN_LENGTH, **context)


@router.get("")
def reset_request_page(request: Request) -> Response:
    return _form(request, "reset_request.html", email="")


@router.post("")
def reset_request_submit(request: Request, email: FormText = "", csrf_token: CsrfField = "") -> Response:
    services = request.app.state.services
    try:
        check_form_csrf(request, csrf_token)
        body = parse_form(ResetRequestIn, email=email)
        work = start_password_reset(services, body.email, client_from(request))
    except BastionError as error:
        return _form(request, "reset_request.html", error, email=email.strip())
    answer = SENT.keep(request, see_other(SENT.path), {"email": normalize_email(body.email)})
    answer.background = BackgroundTask(work)  # after the answer: an existing address takes no longer
    return answer


@router.get("/sent")
def reset_sent(request: Request) -> Response:
    kept = SENT.read(request)
    if kept is None:
        return see_other("/password-reset")
    return render(request, "reset_sent.html", email=str(kept.get("email", "")),
                  mailbox=mailbox_enabled(request.app.state.services.settings))


@router.get("/confirm")
def reset_confirm_page(request: Request, token: str = "") -> Response:
    """A used, replaced or expired link says so before a new password is typed. The form names the
    account (in a field password managers read) so the new password is saved for the right one."""
    try:
        body = parse_form(TokenIn, token=token)
        email = check_reset_link(request.app.state.services, body.token, client_from(request))
    except BastionError as error:
        invalid_link = error.code == Reason.REQUEST_INVALID
        return refusal_page(request, BastionError(Reason.TOKEN_INVALID) if invalid_link else error)
    return _form(request, "reset_confirm.html", token=body.token, email=email)


@router.post("/confirm")
def reset_confirm_submit(request: Request, token: FormText = "", new_password: FormText = "",
                         csrf_token: CsrfField = "") -> Response:
    try:
        check_form_csrf(request, csrf_token)
        body = parse_form(ResetConfirmIn, token=token, new_password=new_password)
    except BastionError as error:
        return _form(request, "reset_confirm.html", error, token=token, email="")
    try:
        confirm_password_reset(request.app.state.services, body.token, body.new_password, client_from(request))
    except BastionError as error:
        if error.code.startswith("password."):  # the link still works: the form again, for its account
            email = check_reset_link(request.app.state.services, body.token, client_from(request))
            return _form(request, "reset_confirm.html", error, token=body.token, email=email)
        return refusal_page(request, error)
    return DONE.keep(request, see_other(DONE.path), {})


@router.get("/done")
def reset_done(request: Request) -> Response:
    if DONE.read(request) is None:
        return see_other("/login")
    return render(request, "reset_done.html")
