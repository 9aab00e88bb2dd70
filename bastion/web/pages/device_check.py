""""Confirm it's you": the link of the device-verification email (requirements §20).

A GET only shows the button (mail scanners open links); the POST verifies and, in the browser
that started the sign-in (same device cookie), continues it: home with the session cookie, or
the next step the flow asks for.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.risk.challenge import LINK_PATH
from bastion.risk.device_step import peek_device_link, verify_device_link
from bastion.web.api.schemas import TokenIn
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, parse_form, public_form_page
from bastion.web.pages.next_step import next_step_response
from bastion.web.pages.render import refusal_page

router = APIRouter()


def _confirm_form(request: Request, token: str, error: BastionError | None = None) -> Response:
    return public_form_page(request, "device_confirm.html", error, token=token)


@router.get(LINK_PATH)
def device_confirm_page(request: Request, token: str = "") -> Response:
    try:
        body = parse_form(TokenIn, token=token)
        peek_device_link(request.app.state.services, body.token, client_from(request))
    except BastionError as error:
        return refusal_page(request, error)
    return _confirm_form(request, body.token)


@router.post(LINK_PATH)
def device_confirm_submit(request: Request, token: Annotated[str, Form()] = "",
                          csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    try:
        body = parse_form(TokenIn, token=token)
        check_form_csrf(request, csrf_token)
    except BastionError as error:
        return _confirm_form(request, token, error)
    try:
        result = verify_device_link(request.app.state.services, body.token, client_from(request))
    except BastionError as error:
        return refusal_page(request, error)
    return next_step_response(request, result)
