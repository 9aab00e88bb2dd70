"""Support and admin actions on accounts; every one audited with the staff member's id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends

from bastion.accounts.staff import ensure_staff, existing_account_id
from bastion.accounts.status import reinstate_account, restrict_account
from bastion.mfa.flows.staff_enrolment import resend_enrolment_link
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.schemas import Body, StatusOut
from bastion.web.deps import ClientDep, ServicesDep, current_session
from bastion.web.inputs import EntityId, Moment, Reason
from bastion.web.openapi import problems


def require_role(*roles: str) -> Callable[[SessionInfo], SessionInfo]:
    def check(session: Annotated[SessionInfo, Depends(current_session)]) -> SessionInfo:
        return ensure_staff(session, roles)

    return check


Admin = Annotated[SessionInfo, Depends(require_role("admin"))]
Staff = Annotated[SessionInfo, Depends(require_role("support", "admin"))]
admin_router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=problems(401, 403, 404, 422, 503))


class RestrictIn(Body):
    reason: Reason
    until: Moment | None = None


class ReasonIn(Body):
    reason: Reason


@admin_router.post("/accounts/{account_id}/suspend", response_model=StatusOut)
def suspend(account_id: EntityId, body: RestrictIn, staff: Admin, services: ServicesDep, client: ClientDep) -> StatusOut:
    restrict_account(services, existing_account_id(services, account_id), "suspended", body.reason, body.until,
                     staff.account_id, client)
    return StatusOut(status="suspended")


@admin_router.post("/accounts/{account_id}/ban", response_model=StatusOut)
def ban(account_id: EntityId, body: RestrictIn, staff: Admin, services: ServicesDep, client: ClientDep) -> StatusOut:
    """A temporary ban: `until` is required."""
    restrict_account(services, existing_account_id(services, account_id), "banned", body.reason, body.until,
                     staff.account_id, client)
    return StatusOut(status="banned")


@admin_router.post("/accounts/{account_id}/reinstate", response_model=StatusOut)
def reinstate(account_id: EntityId, body: ReasonIn, staff: Admin, services: ServicesDep, client: ClientDep) -> StatusOut:
    reinstate_account(services, existing_account_id(services, account_id), staff.account_id, client, body.reason)
    return StatusOut(status="active")


@admin_router.post("/accounts/{account_id}/staff-enrolment-link", response_model=StatusOut, responses=problems(409))
def send_staff_enrolment_link(account_id: str, staff: Admin, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Email a staff account without a second factor a new link to set up its first one (older links stop
    working). Staff cannot enrol a first factor without it."""
    resend_enrolment_link(services, existing_account_id(services, account_id), client, actor_id=staff.account_id)
    return StatusOut(status="enrolment_link_sent")
