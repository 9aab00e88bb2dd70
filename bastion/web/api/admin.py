"""Support and admin actions on accounts; every one audited with the staff member's id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from bastion.accounts.status import reinstate_account, restrict_account
from bastion.errors import BastionError
from bastion.services import Services
from bastion.sessions.tokens import SessionInfo
from bastion.store.models import Account
from bastion.web.api.schemas import Body, StatusOut
from bastion.web.deps import ClientDep, ServicesDep, current_session
from bastion.web.inputs import EntityId, Reason
from bastion.web.openapi import problems


def ensure_staff(session: SessionInfo, roles: tuple[str, ...]) -> SessionInfo:
    """Staff work needs the role and a session signed in with a second factor (REQUIREMENTS 33)."""
    if not session.roles & set(roles):
        raise BastionError("permission.denied")
    if session.aal < 2:
        raise BastionError("permission.mfa_required")
    return session


def require_role(*roles: str) -> Callable[[SessionInfo], SessionInfo]:
    def check(session: Annotated[SessionInfo, Depends(current_session)]) -> SessionInfo:
        return ensure_staff(session, roles)

    return check


Admin = Annotated[SessionInfo, Depends(require_role("admin"))]
Staff = Annotated[SessionInfo, Depends(require_role("support", "admin"))]
admin_router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=problems(401, 403, 404, 422, 503))


class RestrictIn(Body):
    reason: Reason
    until: datetime | None = None


class ReasonIn(Body):
    reason: Reason


def existing_account_id(services: Services, account_id: str) -> str:
    with services.db.transaction() as tx:
        if len(account_id) > 64 or tx.get(Account, account_id) is None:
            raise BastionError("resource.not_found", detail="No account with this id.")
    return account_id


@admin_router.post("/accounts/{account_id}/suspend", response_model=StatusOut)
def suspend(account_id: EntityId, body: RestrictIn, staff: Admin, services: ServicesDep, client: ClientDep) -> StatusOut:
    restrict_account(services, existing_account_id(services, account_id), "suspended", body.reason, body.until,
                     staff.account_id, client)
    return StatusOut(status="suspended")


@admin_router.post("/accounts/{account_id}/ban", response_model=StatusOut)
def ban(account_id: EntityId, body: RestrictIn, staff: Admin, services: ServicesDep, client: ClientDep) -> StatusOut:
    """A temporary ban: `until` is required."""
    if body.until is None:
        raise BastionError("request.invalid", detail="A ban needs an end time (`until`); use suspend otherwise.")
    restrict_account(services, existing_account_id(services, account_id), "banned", body.reason, body.until,
                     staff.account_id, client)
    return StatusOut(status="banned")


@admin_router.post("/accounts/{account_id}/reinstate", response_model=StatusOut)
def reinstate(account_id: EntityId, body: ReasonIn, staff: Admin, services: ServicesDep, client: ClientDep) -> StatusOut:
    reinstate_account(services, existing_account_id(services, account_id), staff.account_id, client, body.reason)
    return StatusOut(status="active")
