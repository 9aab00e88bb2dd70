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
from bastion.mfa.flows.second_factor import sign_in_with_factor
from bastion.mfa.registry import METHODS
from bastion.risk.device_step import verify_device_code
from bastion.web.client import client_from
from bastion.web.inputs import EntityId, OneTimeCode, checked
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf
from bastion.web.pages.next_step import device_code_page, next_step_response, second_step_page
from bastion.web.pages.passkey_login import credential_from
from bastion.web.pages.render import refusal_page

router = APIRouter()
FormText = Annotated[str, Form()]
# Refusals after which this sign-in cannot go on: start again from the password.
FLOW_OVER = frozenset({"flow.expired", "flow.not_found", "mfa.attempts_exceeded", "mfa.locked",
                       "device.attempts_exceeded", "device.locked", "device.verification_expired"})


@router.post("/login/second-step")
def second_step_submit(request: Request, flow_id: FormText = "", method: FormText = "totp", code: FormText = "",
                       methods: FormText = "", credential: FormText = "",
                       csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    services = request.app.state.services
    offered = [factor.name for factor in METHODS if factor.name in methods.split(",")]
    factor = METHODS.get(method)
    try:
        flow_id = checked(EntityId, flow_id, "flow_id")
    except BastionError as error:
        return refusal_page(request, error)
    try:
        check_form_csrf(request, csrf_token)
        proof = None
        if factor is not None and factor.proof == "credential":
            proof = credential_from(credential) if credential else None
        elif factor is not None and code.strip():
            proof = checked(OneTimeCode, code, "code")
        if factor is None or not proof:  # switching between the ways of taking the step
            return second_step_page(request, flow_id, offered, method=method)
        result = sign_in_with_factor(services, flow_id, factor.name, proof, client_from(request))
    except BastionError as error:
        if error.code in FLOW_OVER:
            return refusal_page(request, error)
        return second_step_page(request, flow_id, offered, error, method=method)
    return next_step_response(request, result)


@router.post("/login/device-code")
def device_code_submit(request: Request, flow_id: FormText = "", code: FormText = "",
                       csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    try:
        flow_id = checked(EntityId, flow_id, "flow_id")
    except BastionError as error:
        return refusal_page(request, error)
    try:
        check_form_csrf(request, csrf_token)
        result = verify_device_code(request.app.state.services, flow_id, checked(OneTimeCode, code, "code"),
                                    client_from(request))
    except BastionError as error:
        if error.code in FLOW_OVER:
            return refusal_page(request, error)
        return device_code_page(request, flow_id, error)
    return next_step_response(request, result)
