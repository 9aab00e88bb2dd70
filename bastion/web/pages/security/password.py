"""Changing the password while signed in: the current password is the proof."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.password_change import change_password
from bastion.accounts.passwords import MIN_LENGTH
from bastion.errors import BastionError, Reason
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.schemas import PasswordChangeIn
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import PageSession, account_page, act

router = APIRouter(prefix="/security")
PAGE = "/security/password"
FormText = Annotated[str, Form()]


def password_page(request: Request, session: SessionInfo, error: BastionError | None = None) -> Response:
    return account_page(request, session, "security/password.html", error, min_length=MIN_LENGTH,
                        wrong_current=error is not None and error.code == Reason.REAUTH_FAILED,
                        weak_new=error is not None and error.code.startswith("password."))


@router.get("/password")
def password(request: Request, session: PageSession) -> Response:
    return password_page(request, session)


@router.post("/password")
def change(request: Request, current_password: FormText = "", new_password: FormText = "",
           end_others: FormText = "", csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    def change_it(session: SessionInfo) -> Response:
        body = parse_form(PasswordChangeIn, current_password=current_password, new_password=new_password,
                          end_other_sessions=end_others == "on")
        change_password(request.app.state.services, session, body.current_password, body.new_password,
                        client_from(request), body.end_other_sessions)
        return see_other("/?done=password")

    return act(request, csrf_token, PAGE, change_it, lambda session, error: password_page(request, session, error))
