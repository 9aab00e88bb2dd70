"""The case queue and one case: its identity documents side by side, approve or reject with a reason."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.recovery.evidence import DOCUMENT_KINDS
from bastion.sessions.tokens import SessionInfo
from bastion.support.decisions import approve_case, reject_case
from bastion.support.views import case_view, list_cases
from bastion.web.api.admin import ReasonIn
from bastion.web.api.support import CASE_STATES
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import SUPPORT, act, notice_for, page_session
from bastion.web.pages.staff import staff_page

router = APIRouter(prefix="/support")
PAGE = "/support"
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
KIND_WORDS = {"mfa_reset": "2FA reset", "unfreeze": "Unfreeze", "allowlist_reset": "IP allowlist reset"}
STATE_WORDS = {"awaiting_documents": "Waiting for documents", "in_review": "To review", "waiting": "Approved, waiting",
               "completed": "Completed", "rejected": "Rejected", "cancelled": "Cancelled by the owner",
               "expired": "Expired"}
NOTICES = {"in_review": "Your approval is recorded; the case needs another agent's approval too.",
           "waiting": "Approved: the waiting period has started and the owner is emailed.",
           "rejected": "Rejected: the owner is emailed the reason."}


@router.get("")
def queue(request: Request, status: str = "") -> Response:
    session = page_session(request, roles=SUPPORT)
    if isinstance(session, Response):
        return session
    state = status if status in CASE_STATES else None
    return staff_page(request, session, "support/queue.html", PAGE, cases=list_cases(request.app.state.services, state),
                      state=state, states=CASE_STATES, state_words=STATE_WORDS, kind_words=KIND_WORDS)


def case_page(request: Request, session: SessionInfo, case_id: str, error: BastionError | None = None,
              notice: str | None = None) -> Response:
    try:
        case = case_view(request.app.state.services, case_id[:64])
    except BastionError as missing:
        return staff_page(request, session, "problem.html", PAGE, missing)
    order = list(DOCUMENT_KINDS)
    case["documents"].sort(key=lambda document: order.index(document["kind"]))  # front, back, then the photo
    approved_by_me = any(item["agent_id"] == session.account_id for item in case["approvals"])
    return staff_page(request, session, "support/case.html", PAGE, error, notice, case=case,
                      state_words=STATE_WORDS, kind_words=KIND_WORDS, approved_by_me=approved_by_me,
                      own=case["account_id"] == session.account_id)


@router.get("/cases/{case_id}")
def case(request: Request, case_id: str, done: str = "") -> Response:
    session = page_session(request, roles=SUPPORT)
    if isinstance(session, Response):
        return session
    return case_page(request, session, case_id, notice=notice_for(done, NOTICES))


@router.post("/cases/{case_id}/decide")
def decide(request: Request, case_id: str, decision: FormText = "", reason: FormText = "",
           csrf_token: CsrfField = "") -> Response:
    def decide_it(session: SessionInfo) -> Response:
        body = parse_form(ReasonIn, reason=reason)
        services, client = request.app.state.services, client_from(request)
        if decision == "approve":
            outcome = approve_case(services, case_id[:64], session.account_id, body.reason, client)
        elif decision == "reject":
            reject_case(services, case_id[:64], session.account_id, body.reason, client)
            outcome = "rejected"
        else:
            raise BastionError("request.invalid", detail="Choose approve or reject.")
        return see_other(f"/support/cases/{case_id[:64]}?done={outcome}")

    return act(request, csrf_token, PAGE, decide_it, lambda session, error: case_page(request, session, case_id, error),
               SUPPORT)
