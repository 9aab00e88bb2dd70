"""The case queue: counts by state, filters (state, kind, holder, age), oldest first, a page at a
time; claiming a case from the queue opens it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.numbers import whole_number
from bastion.recovery.kinds import KINDS
from bastion.sessions.tokens import SessionInfo
from bastion.support.access import ensure_may_handle_case
from bastion.support.casework import claim_case
from bastion.support.queue import ASSIGNED, STATES, QueueFilter, list_cases
from bastion.support.words import AGES
from bastion.web.client import client_from
from bastion.web.inputs import Cursor, checked, valid_id
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import SUPPORT, SupportSession, act
from bastion.web.pages.staff import staff_page

router = APIRouter(prefix="/support")
PAGE = "/support"
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
DEFAULT_STATE = "in_review"  # what the floor works on; "all" shows every state


def _choice(value: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    return value if value in allowed else None


@router.get("")
def queue(request: Request, session: SupportSession, status: str = DEFAULT_STATE, kind: str = "", assigned: str = "", age: str = "",
          order: str = "", cursor: str = "") -> Response:
    return queue_page(request, session, status, kind, assigned, age, order, cursor)


def queue_page(request: Request, session: SessionInfo, status: str = DEFAULT_STATE, kind: str = "", assigned: str = "",
               age: str = "", order: str = "", cursor: str = "", error: BastionError | None = None) -> Response:
    hours = number if (number := whole_number(age)) in AGES else None
    wanted = QueueFilter(_choice(status, STATES), _choice(kind, list(KINDS)), _choice(assigned, ASSIGNED), hours,
                         order == "newest")
    try:
        page = list_cases(request.app.state.services, session.account_id, wanted,
                          checked(Cursor, cursor, "cursor") or None)
    except BastionError as refused:  # a cursor from elsewhere: the first page, with why
        error, page = refused, list_cases(request.app.state.services, session.account_id, wanted)
    shown = {"status": wanted.status or "all", "kind": wanted.kind or "", "assigned": wanted.assigned or "",
             "age": str(hours or ""), "order": "newest" if wanted.newest_first else ""}
    return staff_page(request, session, "support/queue.html", PAGE, error, page=page, shown=shown, states=STATES,
                      kinds=KINDS, ages=AGES, first_page=not cursor)


@router.post("/cases/{case_id}/claim")
def claim(request: Request, case_id: str, csrf_token: CsrfField = "") -> Response:
    """Claim, then open the case (from the queue or the case page)."""
    def claim_it(session: SessionInfo) -> Response:
        services = request.app.state.services
        case = ensure_may_handle_case(services, session.account_id, session.roles, valid_id(case_id, "case_id"))
        claim_case(services, case, session.account_id, client_from(request))
        return see_other(f"/support/cases/{case}?done=claimed")

    def refused(session: SessionInfo, error: BastionError) -> Response:
        from bastion.web.pages.support.cases import case_page

        return case_page(request, session, case_id, error)

    return act(request, csrf_token, PAGE, claim_it, refused, SUPPORT)
