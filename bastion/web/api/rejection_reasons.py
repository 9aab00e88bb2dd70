"""Prepared rejection reasons: admins write them (`/v1/admin/rejection-reasons`); agents list the ones
that fit a case (`/v1/support/rejection-reasons`). Support cannot change them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import StringConstraints

from bastion.recovery.kinds import KINDS
from bastion.support.rejection_reasons import prepared_reasons, retire_reason, save_reason
from bastion.web.api.admin import Admin, Staff
from bastion.web.api.schemas import Body, StatusOut
from bastion.web.deps import ClientDep, ServicesDep
from bastion.web.inputs import EntityId, Reason
from bastion.web.openapi import problems

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=80)]
router = APIRouter(tags=["support"], responses=problems(401, 403, 404, 422, 503))


class RejectionReasonIn(Body):
    title: Title
    text: Reason
    kinds: list[Annotated[str, StringConstraints(max_length=32)]] = []  # noqa: RUF012 - pydantic copies defaults


class SavedOut(StatusOut):
    id: str


@router.get("/v1/support/rejection-reasons")
def reasons(staff: Staff, services: ServicesDep,
            kind: Annotated[str | None, Query(description=" · ".join(KINDS))] = None) -> list[dict[str, Any]]:
    """The prepared reasons in use; with `kind`, those that fit that kind of case."""
    return prepared_reasons(services, kind)


@router.post("/v1/admin/rejection-reasons", response_model=SavedOut)
def create(body: RejectionReasonIn, admin: Admin, services: ServicesDep, client: ClientDep) -> SavedOut:
    """A new prepared reason; `kinds` empty: it fits every kind of case."""
    return SavedOut(status="saved", id=save_reason(services, admin.account_id, client, body.title, body.text,
                                                   body.kinds))


@router.put("/v1/admin/rejection-reasons/{reason_id}", response_model=SavedOut)
def change(reason_id: EntityId, body: RejectionReasonIn, admin: Admin, services: ServicesDep,
           client: ClientDep) -> SavedOut:
    return SavedOut(status="saved", id=save_reason(services, admin.account_id, client, body.title, body.text,
                                                   body.kinds, reason_id))


@router.delete("/v1/admin/rejection-reasons/{reason_id}", response_model=StatusOut)
def retire(reason_id: EntityId, admin: Admin, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Withdraw a reason (kept for the audit log's sake, no longer offered)."""
    retire_reason(services, admin.account_id, client, reason_id)
    return StatusOut(status="retired")
