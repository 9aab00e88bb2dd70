"""The sign-in steps after the password (second factor) and passwordless passkey sign-in.

`flow_id` comes from the `mfa_required` answer of `POST /v1/login`. A finished, void or unknown
flow answers `flow.not_found`; an expired one `flow.expired`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.mfa.flows.second_factor import sign_in_with_factor
from bastion.mfa.passkeys.sign_in import passwordless_options, second_factor_options, sign_in_passwordless
from bastion.mfa.registry import METHODS
from bastion.risk.device_step import verify_device_code
from bastion.web.api.mfa_schemas import CodeIn, PasskeyOptionsOut, PasswordlessIn, SecondStepIn
from bastion.web.api.schemas import FlowOut, LoginOut
from bastion.web.api.signin import login_answer
from bastion.web.deps import ClientDep, ServicesDep
from bastion.web.inputs import EntityId, MethodName
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1/login", tags=["sign-in"])
FlowId = EntityId
MethodPath = Annotated[MethodName, Path(description="`totp`, `backup-code` or `passkey`")]
# 426 below the minimum app version, 503 during maintenance (requirements §31-32).
STEP_PROBLEMS = problems(400, 401, 403, 404, 410, 422, 426, 429, 503)


@router.post("/passkey/options", response_model=PasskeyOptionsOut, response_model_exclude_none=True,
             responses=problems(426, 429, 503))
def passwordless_passkey_options(services: ServicesDep, client: ClientDep) -> PasskeyOptionsOut:
    """Start a passwordless sign-in: request options for a discoverable credential (user verification required)."""
    flow, options = passwordless_options(services, client)
    return PasskeyOptionsOut(public_key=options, flow=FlowOut(id=flow.id, expires_at=flow.expires_at))


@router.post("/passkey", response_model=LoginOut, response_model_exclude_none=True, responses=STEP_PROBLEMS)
def passwordless_passkey(body: PasswordlessIn, services: ServicesDep, client: ClientDep) -> LoginOut:
    """Sign in with a passkey alone (it counts as two factors)."""
    return login_answer(sign_in_passwordless(services, body.credential, client, remember=body.remember_device))


@router.post("/{flow_id}/passkey/options", response_model=PasskeyOptionsOut, response_model_exclude_none=True,
             responses=STEP_PROBLEMS)
def second_step_passkey_options(flow_id: FlowId, services: ServicesDep) -> PasskeyOptionsOut:
    """WebAuthn request options for the account's passkeys."""
    return PasskeyOptionsOut(public_key=second_factor_options(services, flow_id))


@router.post("/{flow_id}/device", response_model=LoginOut, response_model_exclude_none=True,
             responses=STEP_PROBLEMS)
def device_verification(flow_id: FlowId, body: CodeIn, services: ServicesDep, client: ClientDep) -> LoginOut:
    """The 6-digit code from the "Confirm it's you" email (device verification, `device_verification_required`).

    15 minutes, only the newest email's code, 5 attempts: the 5th wrong code cancels the sign-in
    (`device.attempts_exceeded`). Send it from the device that started the sign-in.
    """
    return login_answer(verify_device_code(services, flow_id, body.code, client))


@router.post("/{flow_id}/{method}", response_model=LoginOut, response_model_exclude_none=True,
             responses=STEP_PROBLEMS)
def second_step(flow_id: FlowId, method: MethodPath, body: SecondStepIn, services: ServicesDep,
                client: ClientDep) -> LoginOut:
    """The second step with one of the methods `POST /v1/login` offered: `totp` and `backup-code`
    take `{code}` (the authenticator's current code; a backup code, each works once), `passkey`
    takes `{credential}` (the answer to `…/passkey/options`)."""
    factor = METHODS.at_path(method)
    if factor is None:
        raise BastionError(Reason.MFA_METHOD_UNAVAILABLE)
    proof = body.credential if factor.proof == "credential" else body.code
    if proof is None:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("This step takes `%(field)s`.") % {"field": factor.proof})
    return login_answer(sign_in_with_factor(services, flow_id, factor.name, proof, client))
