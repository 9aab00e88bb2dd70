"""The steps of a browser sign-in after the password: the authenticator code or a backup code,
and the emailed code that confirms a new device or place.

The flow id travels in a hidden field (never in the address, which reaches logs),
and the step must come from the browser that passed the password (device cookie). The step's pages
are GETs (`next_step`): switching between the ways of taking the step is a link within the sign-in.
A passkey as the second step needs JavaScript (`passkey_login.py` serves its options); its
answer comes back through the same form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.mfa.flows.second_factor import sign_in_with_factor
from bastion.mfa.registry import METHODS
from bastion.risk.device_step import verify_device_code
from bastion.web.client import client_from
from bastion.web.inputs import OneTimeCode, checked, valid_id
from bastion.web.pages.again import REFUSAL, refusal_for, refused_at
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf
from bastion.web.pages.next_step import (
    DEVICE_CODE,
    SECOND_STEP,
    STEP_PAGES,
    device_code_page,
    kept_step,
    next_step_response,
    second_step_page,
    to_step,
)
from bastion.web.pages.passkey_login import credential_from
from bastion.web.pages.redirects import see_other
from bastion.web.pages.render import refusal_page

router = APIRouter()
FormText = Annotated[str, Form()]
# Refusals after which this sign-in cannot go on: start again from the password.
FLOW_OVER = frozenset({Reason.FLOW_EXPIRED, Reason.FLOW_NOT_FOUND, Reason.MFA_ATTEMPTS_EXCEEDED, Reason.MFA_LOCKED,
                       Reason.DEVICE_ATTEMPTS_EXCEEDED, Reason.DEVICE_LOCKED, Reason.DEVICE_VERIFICATION_EXPIRED})
NOTICES = {"sent": N_("A new code is on its way. Only the code in the newest email works.")}


@router.get(SECOND_STEP)
def second_step(request: Request, method: str = "") -> Response:
    """The second step of the sign-in this browser is at; `method`: the way of taking it (not a secret)."""
    kept = kept_step(request, "mfa_required")
    if kept is None:
        return see_other("/login")
    refused = refusal_for(request, SECOND_STEP)
    methods = [str(name) for name in kept.get("methods", [])]
    page = second_step_page(request, kept["flow"], methods, refused[0] if refused else None, method=method)
    return REFUSAL.drop(page) if refused else page


@router.get(DEVICE_CODE)
def device_code(request: Request, done: str = "") -> Response:
    kept = kept_step(request, "device_verification_required")
    if kept is None:
        return see_other("/login")
    refused = refusal_for(request, DEVICE_CODE)
    page = device_code_page(request, kept["flow"], refused[0] if refused else None, notice=_(NOTICES[done]) if done in NOTICES else None)
    return REFUSAL.drop(page) if refused else page


def step_again(request: Request, status: str, methods: list[str] | None = None,
               method: str = "") -> Callable[[str, BastionError], Response]:
    """A refused step: back to its page (of the same sign-in, the same way of taking it), which shows why."""
    def again(flow_id: str, error: BastionError) -> Response:
        query = f"?method={method}" if METHODS.get(method) is not None else ""

        def page() -> Response:
            if status == "mfa_required":
                return second_step_page(request, flow_id, methods or [], error, method=method)
            return device_code_page(request, flow_id, error)

        return refused_at(request, STEP_PAGES[status], error, page,
                          answer=to_step(request, status, flow_id, methods, query))

    return again


def on_flow(request: Request, flow_id: str, csrf_token: str, step: Callable[[str], Response],
            again: Callable[[str, BastionError], Response]) -> Response:
    """Take a step of a sign-in from its page: a malformed flow id, or a refusal after which the sign-in
    cannot go on, is a refusal page; any other refusal is shown on the step's page (`again`)."""
    try:
        check_form_csrf(request, csrf_token)  # first: a cross-site post is refused as such
        return step(valid_id(flow_id, "flow_id"))
    except BastionError as error:
        if error.code in FLOW_OVER or not _well_formed(flow_id):
            return refusal_page(request, error)
        return again(flow_id, error)


def _well_formed(flow_id: str) -> bool:
    try:
        valid_id(flow_id, "flow_id")
    except BastionError:
        return False
    return True


@router.post("/login/second-step")
def second_step_submit(request: Request, flow_id: FormText = "", method: FormText = "totp", code: FormText = "",
                       methods: FormText = "", credential: FormText = "",
                       csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    offered = [factor.name for factor in METHODS if factor.name in methods.split(",")]
    factor = METHODS.get(method)

    def prove(flow: str) -> Response:
        proof = None
        if factor is not None and factor.proof == "credential":
            proof = credential_from(credential) if credential else None
        elif factor is not None and code.strip():
            proof = checked(OneTimeCode, code, "code")
        if factor is None or not proof:  # switching between the ways of taking the step (a form without script)
            query = f"?method={factor.name}" if factor is not None else ""
            return to_step(request, "mfa_required", flow, offered, query)
        return next_step_response(request, sign_in_with_factor(request.app.state.services, flow, factor.name, proof,
                                                               client_from(request)))

    return on_flow(request, flow_id, csrf_token, prove, step_again(request, "mfa_required", offered, method))


@router.post("/login/device-code")
def device_code_submit(request: Request, flow_id: FormText = "", code: FormText = "",
                       csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    def verify(flow: str) -> Response:
        return next_step_response(request, verify_device_code(request.app.state.services, flow,
                                                              checked(OneTimeCode, code, "code"), client_from(request)))

    return on_flow(request, flow_id, csrf_token, verify, step_again(request, "device_verification_required"))
