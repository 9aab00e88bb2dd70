"""The support API (REQUIREMENTS 33-34): find accounts and references, review cases, act.

Every route needs the support or admin role and a session signed in with a second factor;
every action is audited with the agent's id. Nothing here shows a password, code, secret
or token, and an agent can start a password reset but never set a password.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from bastion.accounts.allowlist_reset import clear_allowlist_by_staff
from bastion.errors import BastionError
from bastion.recovery.password_reset import send_reset_for_support
from bastion.support.decisions import approve_case, approve_unfreeze, reject_case, unlock_account
from bastion.support.views import (
    account_view,
    case_view,
    find_reference,
    list_cases,
    read_document,
    search_accounts,
)
from bastion.web.api.admin import ReasonIn, Staff, existing_account_id
from bastion.web.api.schemas import StatusOut
from bastion.web.deps import ClientDep, ServicesDep
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1/support", tags=["support"], responses=problems(401, 403, 404, 422, 503))

CASE_STATES = ("awaiting_documents", "in_review", "waiting", "completed", "rejected", "cancelled", "expired")


@router.get("/accounts")
def search(staff: Staff, services: ServicesDep,
           q: Annotated[str, Query(min_length=1, max_length=320, description="Part of an email, or an id")]
           ) -> list[dict[str, Any]]:
    return search_accounts(services, q)


@router.get("/accounts/{account_id}")
def account(account_id: str, staff: Staff, services: ServicesDep) -> dict[str, Any]:
    """Status, factors by type and date, devices, recent attempts, cases and holds."""
    return account_view(services, account_id)


@router.get("/references/{reference}")
def reference(reference: str, staff: Staff, services: ServicesDep) -> dict[str, Any]:
    """What a refusal's reference was: the reason, the steps given, and the attempt behind it."""
    return find_reference(services, reference)


@router.get("/cases")
def cases(staff: Staff, services: ServicesDep,
          status: Annotated[str | None, Query(description=" · ".join(CASE_STATES))] = None) -> list[dict[str, Any]]:
    """The queue: cases waiting for review first, oldest first."""
    if status is not None and status not in CASE_STATES:
        raise BastionError("request.invalid", detail=f"`status` must be one of: {', '.join(CASE_STATES)}.")
    return list_cases(services, status)


@router.get("/cases/{case_id}")
def case(case_id: str, staff: Staff, services: ServicesDep) -> dict[str, Any]:
    return case_view(services, case_id)


@router.get("/cases/{case_id}/documents/{document_id}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "application/pdf": {}}}})
def document(case_id: str, document_id: str, staff: Staff, services: ServicesDep, client: ClientDep) -> Response:
    """The identity document itself (viewing is audited). Served so a browser shows, never runs, it."""
    content_type, content = read_document(services, case_id, document_id, staff.account_id, client)
    return Response(content, media_type=content_type, headers={
        "Content-Disposition": f'inline; filename="{document_id}"', "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox", "X-Content-Type-Options": "nosniff",
    })


@router.post("/cases/{case_id}/approve", response_model=StatusOut)
def approve(case_id: str, body: ReasonIn, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Approve after checking the documents; the waiting period starts with the last approval needed."""
    return StatusOut(status=approve_case(services, case_id, staff.account_id, body.reason, client))


@router.post("/cases/{case_id}/reject", response_model=StatusOut)
def reject(case_id: str, body: ReasonIn, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Reject with a reason the account holder will read (also during the waiting period)."""
    reject_case(services, case_id, staff.account_id, body.reason, client)
    return StatusOut(status="rejected")


@router.post("/accounts/{account_id}/unfreeze", response_model=StatusOut)
def unfreeze(account_id: str, body: ReasonIn, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Approve the account's unfreeze request (its documents must be in). It takes effect
    `BASTION_UNFREEZE_MIN_HOURS` (2) after the freeze at the earliest, and a 24 h withdrawal hold follows."""
    return StatusOut(status=approve_unfreeze(services, existing_account_id(services, account_id), staff.account_id,
                                             body.reason, client))


@router.post("/accounts/{account_id}/unlock", response_model=StatusOut)
def unlock(account_id: str, body: ReasonIn, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Lift the wrong-password pause on the account's email (not the 100-failure switch-off: that needs a reset)."""
    unlock_account(services, existing_account_id(services, account_id), staff.account_id, body.reason, client)
    return StatusOut(status="unlocked")


@router.post("/accounts/{account_id}/clear-allowlist", response_model=StatusOut)
def clear_allowlist(account_id: str, body: ReasonIn, staff: Staff, services: ServicesDep,
                    client: ClientDep) -> StatusOut:
    """Clear the IP allowlist of an owner who lost every network on it (check their identity first):
    sign-in is allowed from any network again, withdrawals are held, and the owner is emailed."""
    clear_allowlist_by_staff(services, existing_account_id(services, account_id), staff.account_id, body.reason,
                             client, via="support_api")
    return StatusOut(status="allowlist_cleared")


@router.post("/accounts/{account_id}/password-reset", response_model=StatusOut)
def start_password_reset(account_id: str, body: ReasonIn, staff: Staff, services: ServicesDep,
                         client: ClientDep) -> StatusOut:
    """Email the owner a reset link. Support never sets or sees a password."""
    send_reset_for_support(services, existing_account_id(services, account_id), staff.account_id, body.reason, client)
    return StatusOut(status="reset_email_sent")
