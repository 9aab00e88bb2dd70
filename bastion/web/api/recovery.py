"""POST /v1/password-reset and POST /v1/password-reset/confirm."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks

from bastion.recovery.password_reset import confirm_password_reset, start_password_reset
from bastion.web.api.schemas import Body, StatusOut
from bastion.web.deps import ClientDep, ServicesDep
from bastion.web.inputs import Email, Password, Token
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1/password-reset", tags=["recovery"])


class ResetRequestIn(Body):
    email: Email


class ResetConfirmIn(Body):
    token: Token
    new_password: Password


@router.post("", status_code=202, response_model=StatusOut, responses=problems(422, 429))
def request_reset(body: ResetRequestIn, services: ServicesDep, client: ClientDep, after: BackgroundTasks) -> StatusOut:
    """Email a reset link. The same answer whether or not an account has this address."""
    # Answered before the look-up: an existing address takes no longer than an unknown one.
    after.add_task(start_password_reset(services, body.email, client))
    return StatusOut(status="reset_email_sent")


@router.post("/confirm", response_model=StatusOut, responses=problems(400, 410, 422, 429))
def confirm_reset(body: ResetConfirmIn, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Set the new password. Every session ends; nobody is signed in by this."""
    confirm_password_reset(services, body.token, body.new_password, client)
    return StatusOut(status="password_changed")
