"""One case, as an agent works it: the evidence viewer, the account's facts and risk signals, earlier
cases, internal notes, the case's timeline, and the actions valid now (the others with why not)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.i18n import N_
from bastion.sessions.tokens import SessionInfo
from bastion.support.access import ensure_may_handle_case, record_case_view
from bastion.support.case_view import case_view
from bastion.support.casework import add_note, release_case
from bastion.support.decisions import approve_case, reject_case
from bastion.support.timeline import case_timeline
from bastion.web.api.support_cases import ApproveIn, NoteIn, RejectIn
from bastion.web.client import client_from
from bastion.web.inputs import valid_id
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import SUPPORT, SupportSession, act, notice_for
from bastion.web.pages.staff import staff_missing, staff_page

router = APIRouter(prefix="/support/cases")
PAGE = "/support"
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"claimed": N_("You are working on this case: nobody else decides it until you release it."),
           "released": N_("The case is back in the queue for anyone to take."),
           "noted": N_("Your note is added. Only staff can read it."),
           "in_review": N_("Your approval is recorded. The case is back in the queue for another agent's approval."),
           "waiting": N_("Approved: the waiting period has started and the owner is emailed."),
           "rejected": N_("Rejected: the owner is emailed the reason."),
           "stopped": N_("Stopped: it will not take effect, and the owner is emailed the reason.")}


def case_page(request: Request, session: SessionInfo, case_id: str, error: BastionError | None = None,
              notice: str | None = None, typed: dict[str, str] | None = None) -> Response:
    services = request.app.state.services
    try:
        ensure_may_handle_case(services, session.account_id, session.roles, case_id)
        case = case_view(services, case_id, session.account_id, "admin" in session.roles)
    except BastionError as missing:
        return staff_missing(request, session, PAGE, missing)
    return staff_page(request, session, "support/case.html", PAGE, error, notice, case=case,
                      timeline=case_timeline(services, case["id"]), typed=typed or {})


@router.get("/{case_id}")
def case(request: Request, session: SupportSession, case_id: str, done: str = "") -> Response:
    page = case_page(request, session, case_id, notice=notice_for(done, NOTICES))
    if page.status_code == 200:
        record_case_view(request.app.state.services, session.account_id, case_id, "case", client_from(request))
    return page


def _on_case(request: Request, case_id: str, csrf_token: str, work: object,
             typed: dict[str, str] | None = None) -> Response:
    """Run a piece of work on the case, then back to it with its notice (or its refusal, what was typed kept)."""
    def do(session: SessionInfo) -> Response:
        ensure_may_handle_case(request.app.state.services, session.account_id, session.roles, case_id)
        done = work(session)  # type: ignore[operator]
        return see_other(f"/support/cases/{case_id}?done={done}")

    return act(request, csrf_token, PAGE, do,
               lambda session, error: case_page(request, session, case_id, error, typed=typed), SUPPORT)


@router.post("/{case_id}/release")
def release(request: Request, case_id: str, csrf_token: CsrfField = "") -> Response:
    def release_it(session: SessionInfo) -> str:
        release_case(request.app.state.services, valid_id(case_id, "case_id"), session.account_id, client_from(request),
                     admin="admin" in session.roles)
        return "released"

    return _on_case(request, case_id, csrf_token, release_it)


@router.post("/{case_id}/notes")
def note(request: Request, case_id: str, text: FormText = "", csrf_token: CsrfField = "") -> Response:
    def write_it(session: SessionInfo) -> str:
        body = parse_form(NoteIn, text=text)
        add_note(request.app.state.services, valid_id(case_id, "case_id"), session.account_id, body.text,
                 client_from(request))
        return "noted"

    return _on_case(request, case_id, csrf_token, write_it, {"note": text})


@router.post("/{case_id}/approve")
def approve(request: Request, case_id: str, reason: FormText = "", documents_sha256: FormText = "",
            csrf_token: CsrfField = "") -> Response:
    def approve_it(session: SessionInfo) -> str:
        body = parse_form(ApproveIn, reason=reason, documents_sha256=documents_sha256 or None)
        return approve_case(request.app.state.services, valid_id(case_id, "case_id"), session.account_id, body.reason,
                            client_from(request), seen_documents=body.documents_sha256)

    return _on_case(request, case_id, csrf_token, approve_it, {"approve": reason})


@router.post("/{case_id}/reject")
def reject(request: Request, case_id: str, reason: FormText = "", prepared_reason: FormText = "", stop: FormText = "",
           csrf_token: CsrfField = "") -> Response:
    """Reject (before approval) or stop (approved, not yet in effect): the typed text, or the prepared one's."""
    def reject_it(session: SessionInfo) -> str:
        body = parse_form(RejectIn, reason=reason if reason.strip() else None, prepared_reason=prepared_reason or None,
                          stop=stop == "1")
        return reject_case(request.app.state.services, valid_id(case_id, "case_id"), session.account_id, body.reason,
                           client_from(request), prepared_reason=body.prepared_reason, stop=body.stop)

    return _on_case(request, case_id, csrf_token, reject_it,
                    {"reject": reason, "prepared_reason": prepared_reason})
