"""The steps of a browser sign-in after the password: the authenticator code or a backup code,
and the emailed code that confirms a new device or place.

The flow id travels in a hidden field (never in the address, which reaches logs),
and the step must come from the browser that passed the password (device cookie).
A passkey as the second step needs JavaScript (`passkey_login.py` serves its options); its
answer comes back through the same form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.mfa.flows.passkey_sign_in import sign_in_with_passkey
from bastion.mfa.flows.second_factor import sign_in_with_backup_code, sign_in_with_totp
from bastion.risk.verification import verify_device_code
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, public_form_page
from bastion.web.pages.render import refusal_page

router = APIRouter()
FormText = Annotated[str, Form()]
# Refusals after which this sign-in cannot go on: start again from the password.
FLOW_OVER = frozenset({"flow.expired", "flow.not_found", "mfa.attempts_exceeded", "mfa.locked",
                       "device.attempts_exceeded", "device.verification_expired"})


def second_step_page(request: Request, flow_id: str, methods: list[str], error: BastionError | None = None,
                     method: str = "") -> Response:
    """The page for one way of taking the step (the first offered unless chosen), with links to the others."""
    if method not in methods:
        method = methods[0] if methods else "totp"
    return public_form_page(request, "second_step.html", error, flow_id=flow_id, methods=methods, method=method)


@router.post("/login/second-step")
def second_step_submit(request: Request, flow_id: FormText = "", method: FormText = "totp", code: FormText = "",
                       methods: FormText = "", credential: FormText = "",
                       csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    from bastion.web.pages.login import next_step_response
    from bastion.web.pages.passkey_login import credential_from

    services = request.app.state.services
    offered = [item for item in methods.split(",") if item in {"totp", "backup_code", "passkey"}]
    flow_id, code = flow_id[:64], code.strip()[:64]
    try:
        check_form_csrf(request, csrf_token)
        if method == "passkey" and credential:
            result = sign_in_with_passkey(services, flow_id, credential_from(credential), client_from(request))
        elif method == "passkey" or not code:  # switching between the ways of taking the step
            return second_step_page(request, flow_id, offered, method=method)
        else:
            step = sign_in_with_backup_code if method == "backup_code" else sign_in_with_totp
            result = step(services, flow_id, code, client_from(request))
    except BastionError as error:
        if error.code in FLOW_OVER:
            return refusal_page(request, error)
        return second_step_page(request, flow_id, offered, error, method=method)
    return next_step_response(request, result)


def device_code_page(request: Request, flow_id: str, error: BastionError | None = None) -> Response:
    return public_form_page(request, "device_code.html", error, flow_id=flow_id)


@router.post("/login/device-code")
def device_code_submit(request: Request, flow_id: FormText = "", code: FormText = "",
                       csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    from bastion.web.pages.login import next_step_response

    flow_id = flow_id[:64]
    try:
        check_form_csrf(request, csrf_token)
        result = verify_device_code(request.app.state.services, flow_id, code.strip()[:16], client_from(request))
    except BastionError as error:
        if error.code in FLOW_OVER:
            return refusal_page(request, error)
        return device_code_page(request, flow_id, error)
    return next_step_response(request, result)
