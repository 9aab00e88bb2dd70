"""The support API's cases (requirements §16, §33): the queue, one case with everything to judge it,
claiming, internal notes, the identity documents, and the decisions.

Every route needs the support or admin role and a session signed in with a second factor (the
same checks as the console's pages); every action is audited with the agent's id. Notes never
reach the account holder; nothing here shows a password, code, secret or token.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import StringConstraints, model_validator

from bastion.recovery.kinds import KINDS
from bastion.support.access import ensure_may_handle_case, record_case_view
from bastion.support.case_view import case_view
from bastion.support.casework import add_note, claim_case, release_case
from bastion.support.decisions import approve_case, reject_case
from bastion.support.queue import ASSIGNED, MAX_PER_PAGE, PER_PAGE, STATES, QueueFilter, list_cases
from bastion.support.timeline import case_timeline
from bastion.support.views import read_document
from bastion.web.api.admin import ReasonIn, Staff
from bastion.web.api.schemas import Body, StatusOut
from bastion.web.deps import ClientDep, ServicesDep
from bastion.web.inputs import Cursor, EntityId, NoteText, Reason
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1/support", tags=["support"], responses=problems(401, 403, 404, 409, 422, 503))


def handled_case(case_id: EntityId, staff: Staff, services: ServicesDep) -> str:
    """The path's case, once this agent may handle the account it is about (support.access)."""
    return ensure_may_handle_case(services, staff.account_id, staff.roles, case_id)


HandledCase = Annotated[str, Depends(handled_case)]


class NoteIn(Body):
    text: NoteText


class RejectIn(Body):
    """The text the account holder reads; or a prepared reason's id, whose text is sent as it is."""

    reason: Reason | None = None
    prepared_reason: Annotated[str, StringConstraints(max_length=64)] | None = None
    stop: bool = False  # an approved case, not yet in effect: stop it (the owner says it was not them)

    @model_validator(mode="after")
    def _some_reason(self) -> RejectIn:
        if self.reason is None and not self.prepared_reason:
            raise ValueError("give `reason`, `prepared_reason` or both")
        return self


class ApproveIn(ReasonIn):
    # The case's `documents_sha256` as this agent reviewed them: a replacement since then refuses the
    # approval (case.documents_changed) instead of approving files nobody looked at.
    documents_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None


class NoteOut(StatusOut):
    id: int


@router.get("/cases")
def cases(staff: Staff, services: ServicesDep,
          status: Annotated[str | None, Query(description=" · ".join(STATES))] = None,
          kind: Annotated[str | None, Query(description=" · ".join(KINDS))] = None,
          assigned: Annotated[str | None, Query(description=" · ".join(ASSIGNED))] = None,
          min_age_hours: Annotated[int | None, Query(ge=0, le=8784, description="Opened at least this long ago")] = None,
          order: Literal["oldest", "newest"] = "oldest",
          cursor: Annotated[Cursor | None, Query(description="`next_cursor` of the page before")] = None,
          limit: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = PER_PAGE) -> dict[str, Any]:
    """The queue, oldest first: each case with its age, deadline, holder and approvals; `counts` by state
    (and `mine`, `unassigned`); `next_cursor` while there are more."""
    page = list_cases(services, staff.account_id, QueueFilter(status, kind, assigned, min_age_hours,
                                                              order == "newest"), cursor, limit)
    return {"cases": page.cases, "next_cursor": page.next_cursor, "total": page.total, "counts": page.counts}


@router.get("/cases/{case_id}")
def case(case_id: HandledCase, staff: Staff, services: ServicesDep, client: ClientDep) -> dict[str, Any]:
    """Everything to judge the case, and `actions`: each null when this agent may take it now, else why not."""
    record_case_view(services, staff.account_id, case_id, "case", client)
    return case_view(services, case_id, staff.account_id, "admin" in staff.roles)


@router.get("/cases/{case_id}/timeline")
def timeline(case_id: HandledCase, staff: Staff, services: ServicesDep, client: ClientDep) -> dict[str, Any]:
    """The case's story from the audit log, oldest first, each entry's seal checked."""
    told = case_timeline(services, case_id)
    record_case_view(services, staff.account_id, case_id, "case_timeline", client)  # after: it tells what was
    return {"entries": told.entries, "chain": told.chain}


@router.post("/cases/{case_id}/claim", response_model=StatusOut)
def claim(case_id: HandledCase, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Work on the case: nobody else decides it until it is released (an approval releases it)."""
    claim_case(services, case_id, staff.account_id, client)
    return StatusOut(status="claimed")


@router.post("/cases/{case_id}/release", response_model=StatusOut)
def release(case_id: HandledCase, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Give the case back to the queue (an admin may release anyone's claim)."""
    release_case(services, case_id, staff.account_id, client, admin="admin" in staff.roles)
    return StatusOut(status="released")


@router.post("/cases/{case_id}/notes", response_model=NoteOut)
def note(case_id: HandledCase, body: NoteIn, staff: Staff, services: ServicesDep, client: ClientDep) -> NoteOut:
    """An internal note: staff read it; the account holder never does."""
    return NoteOut(status="added", id=add_note(services, case_id, staff.account_id, body.text, client))


@router.get("/cases/{case_id}/documents/{document_id}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "application/pdf": {}}}})
def document(case_id: HandledCase, document_id: EntityId, staff: Staff, services: ServicesDep, client: ClientDep) -> Response:
    """The identity document itself (viewing is audited). Served so a browser shows, never runs, it."""
    content_type, content = read_document(services, case_id, document_id, staff.account_id, client)
    return Response(content, media_type=content_type, headers={
        "Content-Disposition": f'inline; filename="{document_id}"', "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox", "X-Content-Type-Options": "nosniff",
    })


@router.post("/cases/{case_id}/approve", response_model=StatusOut)
def approve(case_id: HandledCase, body: ApproveIn, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Approve after checking the documents (send back the case's `documents_sha256` you reviewed); the waiting
    period starts with the last approval needed."""
    return StatusOut(status=approve_case(services, case_id, staff.account_id, body.reason, client,
                                         seen_documents=body.documents_sha256))


@router.post("/cases/{case_id}/reject", response_model=StatusOut)
def reject(case_id: HandledCase, body: RejectIn, staff: Staff, services: ServicesDep, client: ClientDep) -> StatusOut:
    """Reject with a reason the account holder reads (`rejected`); with `stop`, stop an approved case during
    its waiting period, before it takes effect (`stopped`), when the owner says it was not them."""
    return StatusOut(status=reject_case(services, case_id, staff.account_id, body.reason, client,
                                        prepared_reason=body.prepared_reason, stop=body.stop))
