"""The support API's accounts (requirements §33-34): search, an account's facts, its timeline and its
record for a compliance request, refusals by reference, and what support may do to an account.

Every route needs the support or admin role and a session signed in with a second factor;
every action is audited with the agent's id. Nothing here shows a password, code, secret
or token, and an agent can start a password reset but never set a password.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from bastion.recovery.allowlist_reset import clear_allowlist_by_staff
from bastion.recovery.password_reset import send_reset_for_support
from bastion.support.access import ensure_may_handle, record_view
from bastion.support.decisions import approve_unfreeze, unlock_account
from bastion.support.export import export_account
from bastion.support.search import search
from bastion.support.timeline import PER_PAGE, account_timeline
from bastion.support.views import account_view, find_reference, search_accounts
from bastion.web.api.admin import ReasonIn, Staff
from bastion.web.api.schemas import StatusOut
from bastion.web.deps import ClientDep, ServicesDep
from bastion.web.inputs import EntityId, RefusalReference, SearchText
from bastion.web.openapi import problems
from bastion.web.params import OlderThan


def handled_account(account_id: EntityId, staff: Staff, services: ServicesDep) -> str:
    """The path's account, once this agent may handle it (support.access)."""
    return ensure_may_handle(services, staff.account_id, staff.roles, account_id)


HandledAccount = Annotated[str, Depends(handled_account)]
router = APIRouter(prefix="/v1/support", tags=["support"], responses=problems(401, 403, 404, 409, 422, 503))


@router.get("/search")
def find(staff: Staff, services: ServicesDep, client: ClientDep,
         q: Annotated[SearchText, Query(description="An email or part of one, an account, case or device id, a reference "
                                             "(R-…), an IP address or a network (CIDR)")]) -> dict[str, Any]:
    """Accounts, each with what matched (`matches`); sign-in attempts for emails that have no account."""
    record_view(services, staff.account_id, None, "search", client, query=q)
    return asdict(search(services, q))


@router.get("/accounts")
def accounts(staff: Staff, services: ServicesDep, client: ClientDep,
             q: Annotated[SearchText, Query(description="Part of an email, or an id")]
             ) -> list[dict[str, Any]]:
    record_view(services, staff.account_id, None, "search", client, query=q)
    return search_accounts(services, q)


@router.get("/accounts/{account_id}")
def account(account_id: HandledAccount, staff: Staff, services: ServicesDep, client: ClientDep) -> dict[str, Any]:
    """Status, factors by type and date, devices, recent attempts, cases and holds."""
    record_view(services, staff.account_id, account_id, "account", client)
    return account_view(services, account_id)


@router.get("/accounts/{account_id}/timeline")
def timeline(account_id: HandledAccount, staff: Staff, services: ServicesDep, client: ClientDep,
             before: OlderThan = None,
             limit: Annotated[int, Query(ge=1, le=200)] = PER_PAGE) -> dict[str, Any]:
    """The account's audit log in words, newest first: who did what, when, from where, each entry's seal
    checked (`chain`); `next_before` for the next page."""
    told = account_timeline(services, account_id, before, limit)
    record_view(services, staff.account_id, account_id, "account_timeline", client)  # after: it tells what was
    return {"entries": told.entries, "chain": told.chain, "next_before": told.next_before}


@router.post("/accounts/{account_id}/export")
def export(account_id: HandledAccount, body: ReasonIn, staff: Staff, services: ServicesDep, client: ClientDep) -> dict[str, Any]:
    """The account's whole record as JSON for a compliance request (`reason`: the request it answers).
    Audited. Documents are described, not included."""
    return export_account(services, account_id, staff.account_id, body.reason, client)


@router.get("/references/{reference}")
def reference(reference: RefusalReference, staff: Staff, services: ServicesDep) -> dict[str, Any]:
    """What a refusal's reference was: the reason, the steps given, and the attempt behind it."""
    return find_reference(services, reference)


@router.post("/accounts/{account_id}/unfreeze", response_model=StatusOut)
def unfreeze(account_id: HandledAccount, body: ReasonIn, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Approve the account's unfreeze request (its documents must be in). It takes effect
    `BASTION_UNFREEZE_MIN_HOURS` (2) after the freeze at the earliest, and a 24 h withdrawal hold follows."""
    return StatusOut(status=approve_unfreeze(services, account_id, staff.account_id,
                                             body.reason, client))


@router.post("/accounts/{account_id}/unlock", response_model=StatusOut)
def unlock(account_id: HandledAccount, body: ReasonIn, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Lift the wrong-password pause on the account's email (not the 100-failure switch-off: that needs a reset)."""
    unlock_account(services, account_id, staff.account_id, body.reason, client)
    return StatusOut(status="unlocked")


@router.post("/accounts/{account_id}/clear-allowlist", response_model=StatusOut)
def clear_allowlist(account_id: HandledAccount, body: ReasonIn, staff: Staff, services: ServicesDep,
                    client: ClientDep) -> StatusOut:
    """Clear the IP allowlist of an owner who lost every network on it (check their identity first):
    sign-in is allowed from any network again, withdrawals are held, and the owner is emailed."""
    clear_allowlist_by_staff(services, account_id, staff.account_id, body.reason,
                             client, via="support_api")
    return StatusOut(status="allowlist_cleared")


@router.post("/accounts/{account_id}/password-reset", response_model=StatusOut)
def start_password_reset(account_id: HandledAccount, body: ReasonIn, staff: Staff, services: ServicesDep,
                         client: ClientDep) -> StatusOut:
    """Email the owner a reset link. Support never sets or sees a password."""
    send_reset_for_support(services, account_id, staff.account_id, body.reason, client)
    return StatusOut(status="reset_email_sent")
