"""POST /v1/accounts, POST /v1/accounts/verify-email."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks

from bastion.accounts.signup import start_sign_up, verify_email
from bastion.web.api.schemas import SignUpIn, StatusOut, VerifyEmailIn
from bastion.web.deps import ClientDep, ServicesDep
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


@router.post("", status_code=202, response_model=StatusOut, responses=problems(422, 426, 429, 503))
def create_account(body: SignUpIn, services: ServicesDep, client: ClientDep, after: BackgroundTasks) -> StatusOut:
    """Sign up. The same answer whether or not the address is taken; the address gets an email either way."""
    # Answered before the account or the owner's email is written: both take the same time to answer.
    after.add_task(start_sign_up(services, body.email, body.password, client))
    return StatusOut(status="verification_sent")


@router.post("/verify-email", response_model=StatusOut, responses=problems(400, 401, 410, 422, 429))
def confirm_email(body: VerifyEmailIn, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Confirm the address with the emailed link's token. An address signed up more than once also
    needs the `password` of the sign-up the link belongs to (`signup.password_required`)."""
    verify_email(services, body.token, client, body.password)
    return StatusOut(status="verified")
