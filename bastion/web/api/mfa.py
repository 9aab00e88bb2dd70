"""The signed-in account's second factors: TOTP, backup codes, passkeys; and step-up (`POST /v1/reauth`).

Every change needs a recent sign-in or step-up (`reauth.required` otherwise, requirements §13).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from bastion.accounts.reauthentication import reauthenticate_with_password
from bastion.mfa.backup_codes.flows import regenerate_backup_codes
from bastion.mfa.factors import summary
from bastion.mfa.flows.staff_enrolment import open_enrolment_link
from bastion.mfa.flows.step_up import reauthenticate_with_factor
from bastion.mfa.passkeys.management import (
    PasskeyDetails,
    list_passkeys,
    register_passkey,
    registration_options,
    remove_passkey,
    rename_passkey,
)
from bastion.mfa.totp.enrolment import begin_totp_setup, confirm_totp, remove_totp
from bastion.web.api.mfa_schemas import (
    BackupCodesOut,
    BackupCodeStatusOut,
    CodeIn,
    MfaOut,
    PasskeyListOut,
    PasskeyOptionsOut,
    PasskeyOut,
    PasskeyRegisteredOut,
    PasskeyRegisterIn,
    PasskeyRenameIn,
    StaffEnrolmentOut,
    StepUpIn,
    TotpSetupOut,
    TotpStatusOut,
)
from bastion.web.api.schemas import StatusOut, TokenIn
from bastion.web.deps import ClientDep, ServicesDep, SessionDep
from bastion.web.inputs import EntityId
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1", tags=["second factors"], responses=problems(401, 403, 503))
PASSKEY_ID = r"^[0-9a-f-]{36}$"


def passkey_out(passkey: PasskeyDetails) -> PasskeyOut:
    return PasskeyOut.model_validate(passkey)


@router.get("/me/mfa", response_model=MfaOut)
def my_second_factors(session: SessionDep, services: ServicesDep) -> MfaOut:
    """What is enrolled, and how many backup codes are left."""
    with services.db.transaction() as tx:
        found = summary(tx, session.account_id)
    codes = found.backup_codes
    return MfaOut(
        enabled=found.enabled, methods=found.methods, passkeys=found.passkeys,
        totp=TotpStatusOut(enabled=found.totp_confirmed_at is not None, confirmed_at=found.totp_confirmed_at,
                           last_used_at=found.totp_last_used_at),
        backup_codes=BackupCodeStatusOut(remaining=codes.remaining, total=codes.total, created_at=codes.created_at)
        if codes else None,
    )


@router.post("/me/totp/setup", response_model=TotpSetupOut, responses=problems(409))
def start_totp_setup(session: SessionDep, services: ServicesDep) -> TotpSetupOut:
    """A new secret for the authenticator app (shown once); confirm it with a code to turn it on."""
    setup = begin_totp_setup(services, session)
    return TotpSetupOut(secret=setup.secret, otpauth_uri=setup.otpauth_uri, qr_svg=setup.qr_svg)


@router.post("/me/staff-enrolment", response_model=StaffEnrolmentOut, responses=problems(400, 401, 403, 410, 422, 429))
def use_staff_enrolment_link(body: TokenIn, session: SessionDep, services: ServicesDep,
                             client: ClientDep) -> StaffEnrolmentOut:
    """A staff account without a second factor: use the emailed enrolment link's token in this session,
    which may then set up its first authenticator app or passkey for a few minutes."""
    until = open_enrolment_link(services, session, body.token, client)
    return StaffEnrolmentOut(status="enrolment_unlocked", until=until)


@router.post("/me/totp/confirm", response_model=BackupCodesOut, responses=problems(409, 422))
def finish_totp_setup(body: CodeIn, session: SessionDep, services: ServicesDep, client: ClientDep) -> BackupCodesOut:
    """Turn the authenticator app on with its current code; answers the first backup codes."""
    return BackupCodesOut(backup_codes=confirm_totp(services, session, body.code, client))


@router.delete("/me/totp", status_code=204, responses=problems(400))
def delete_totp(session: SessionDep, services: ServicesDep, client: ClientDep) -> Response:
    remove_totp(services, session, client)
    return Response(status_code=204)


@router.post("/me/backup-codes", response_model=BackupCodesOut, responses=problems(400))
def new_backup_codes(session: SessionDep, services: ServicesDep, client: ClientDep) -> BackupCodesOut:
    """A new set of 10 backup codes, shown once; the old set stops working."""
    return BackupCodesOut(backup_codes=regenerate_backup_codes(services, session, client))


@router.post("/me/passkeys/options", response_model=PasskeyOptionsOut, response_model_exclude_none=True)
def passkey_registration_options(session: SessionDep, services: ServicesDep) -> PasskeyOptionsOut:
    """WebAuthn creation options for `navigator.credentials.create()`."""
    return PasskeyOptionsOut(public_key=registration_options(services, session))


@router.post("/me/passkeys", status_code=201, response_model=PasskeyRegisteredOut, responses=problems(400, 422))
def add_passkey(body: PasskeyRegisterIn, session: SessionDep, services: ServicesDep,
                client: ClientDep) -> PasskeyRegisteredOut:
    registered = register_passkey(services, session, body.credential, body.name, client)
    return PasskeyRegisteredOut(passkey=passkey_out(registered.passkey), backup_codes=registered.backup_codes)


@router.get("/me/passkeys", response_model=PasskeyListOut)
def my_passkeys(session: SessionDep, services: ServicesDep) -> PasskeyListOut:
    return PasskeyListOut(passkeys=[passkey_out(item) for item in list_passkeys(services, session.account_id)])


@router.patch("/me/passkeys/{passkey_id}", response_model=PasskeyOut, responses=problems(404, 422))
def rename(passkey_id: EntityId, body: PasskeyRenameIn, session: SessionDep, services: ServicesDep,
           client: ClientDep) -> PasskeyOut:
    return passkey_out(rename_passkey(services, session, passkey_id, body.name, client))


@router.delete("/me/passkeys/{passkey_id}", status_code=204, responses=problems(404, 422))
def delete_passkey(passkey_id: EntityId, session: SessionDep, services: ServicesDep, client: ClientDep) -> Response:
    remove_passkey(services, session, passkey_id, client)
    return Response(status_code=204)


@router.post("/reauth", response_model=StatusOut, responses=problems(400, 422, 429))
def reauthenticate(body: StepUpIn, session: SessionDep, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Step-up: prove it's you again (password, authenticator code or backup code) to make
    sensitive changes for the next few minutes."""
    if body.password is not None:
        reauthenticate_with_password(services, session, body.password, client)
    else:
        reauthenticate_with_factor(services, session, *body.factor_proof(), client)
    return StatusOut(status="reauthenticated")
