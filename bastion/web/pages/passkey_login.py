"""Signing in with a passkey in the browser: passwordless (a button, or the browser's autofill —
WebAuthn conditional UI) and as the second step after the password.

The page's script asks these JSON endpoints for the request options (double-submit CSRF token in
the X-CSRF-Token header), lets the browser sign, and posts the answer in an ordinary form, so what
follows — the session cookie and home, or the next step's page — is the same as for any sign-in.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse
from pydantic import StringConstraints
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.mfa.passkeys.sign_in import passwordless_options, second_factor_options, sign_in_passwordless
from bastion.web.api.schemas import Body
from bastion.web.client import client_from, new_device_id, set_device_cookie
from bastion.web.pages.again import refused_at
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, public_form_page
from bastion.web.pages.next_step import next_step_response

router = APIRouter(prefix="/login")
FormText = Annotated[str, Form()]
CSRF_HEADER = "x-csrf-token"


def credential_from(text: str, registering: bool = False) -> dict[str, Any]:
    """The browser's answer as the page's script put it in the form; anything else is refused."""
    try:
        credential = json.loads(text)
    except ValueError:
        credential = None
    if not isinstance(credential, dict):
        raise BastionError(Reason.PASSKEY_REGISTRATION_FAILED if registering else Reason.PASSKEY_INVALID)
    return credential


@router.post("/passkey/options")
def passwordless_request_options(request: Request) -> Response:
    """A device cookie comes with the options, so the sign-in they start belongs to this browser."""
    check_form_csrf(request, request.headers.get(CSRF_HEADER, ""))
    device = new_device_id(request)
    _, options = passwordless_options(request.app.state.services, client_from(request, device))
    response = JSONResponse({"publicKey": options})
    set_device_cookie(request, response, device)
    return response


@router.post("/passkey")
def passwordless_submit(request: Request, credential: FormText = "", remember: FormText = "",
                        csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    keep = remember == "on"
    try:
        check_form_csrf(request, csrf_token)
        result = sign_in_passwordless(request.app.state.services, credential_from(credential), client_from(request),
                                      remember=keep)
    except BastionError as error:
        return refused_at(request, "/login", error,
                          partial(public_form_page, request, "login.html", error, email="", remember=keep),
                          {"remember": keep})
    return next_step_response(request, result)


class FlowRef(Body):
    flow_id: Annotated[str, StringConstraints(max_length=64)] = ""


def _header_csrf(request: Request) -> None:
    """Checked before the body is read: a cross-site request is refused as such, whatever it sent."""
    check_form_csrf(request, request.headers.get(CSRF_HEADER, ""))


@router.post("/second-step/passkey/options", dependencies=[Depends(_header_csrf)])
def second_step_request_options(request: Request, body: FlowRef) -> Response:
    """The flow id comes in the body, never in the address (which reaches logs)."""
    return JSONResponse({"publicKey": second_factor_options(request.app.state.services, body.flow_id)})
