"""The audit log for staff: support and admin read events; admin checks the chain. Nothing here writes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from bastion.audit.queries import list_events
from bastion.audit.verify import verify_chain
from bastion.web.api.admin import Admin, Staff
from bastion.web.deps import ServicesDep
from bastion.web.openapi import problems
from bastion.web.params import OlderThan

router = APIRouter(prefix="/v1", tags=["audit"], responses=problems(401, 403, 422, 503))


class AuditEventOut(BaseModel):
    id: int
    kind: str = Field(description="What happened, e.g. account.frozen, mfa.totp_enabled, signin.succeeded")
    time: datetime
    account_id: str | None = Field(description="The account it concerns")
    actor_id: str | None = Field(description="Who did it: the account itself, or a staff member's account")
    ip: str | None
    data: dict[str, Any] = Field(description="Details of the event; never a secret, code or token")
    sealed: bool = Field(description="Whether it is already linked into the tamper-evident chain")
    chain_position: int | None = None


class AuditEventsOut(BaseModel):
    events: list[AuditEventOut]
    next_before: int | None = Field(None, description="Pass as `before` for the next (older) page.")


class ChainFindingOut(BaseModel):
    kind: str = Field(description="changed, forged, removed, reordered or head")
    event_id: int | None
    chain_position: int | None
    detail: str


class ChainCheckOut(BaseModel):
    intact: bool
    checked: int = Field(description="Sealed events checked")
    unsealed: int = Field(description="Events written but not yet linked into the chain")
    head_position: int
    head_hash: str = Field(description="Record it elsewhere to detect a later rollback of the whole log")
    findings: list[ChainFindingOut]


@router.get("/support/audit/events", response_model=AuditEventsOut)
def audit_events(
    _: Staff,
    services: ServicesDep,
    account_id: Annotated[str | None, Query(max_length=36)] = None,
    actor_id: Annotated[str | None, Query(max_length=36)] = None,
    kind: Annotated[str | None, Query(max_length=48)] = None,
    before: OlderThan = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditEventsOut:
    """Security events, newest first: sign-ins, factor changes, support and admin actions."""
    events = list_events(services, account_id, actor_id, kind, before, limit)
    return AuditEventsOut(
        events=[AuditEventOut(id=event.id, kind=event.kind, time=event.created_at, account_id=event.account_id,
                              actor_id=event.actor_id, ip=event.ip, data=event.data,
                              sealed=event.chain_seq is not None, chain_position=event.chain_seq)
                for event in events],
        next_before=events[-1].id if len(events) == limit else None,
    )


@router.get("/admin/audit/verify", response_model=ChainCheckOut)
def audit_verify(_: Admin, services: ServicesDep) -> ChainCheckOut:
    """Check the whole chain now (what `bastion audit verify` does, without sealing first)."""
    report = verify_chain(services)
    return ChainCheckOut(intact=report.intact, checked=report.checked, unsealed=report.unsealed,
                         head_position=report.head_seq, head_hash=report.head_hash,
                         findings=[ChainFindingOut(kind=item.kind, event_id=item.event_id, chain_position=item.seq,
                                                   detail=item.detail) for item in report.findings])
