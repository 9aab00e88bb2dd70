"""The signed-in home page: the account, its live sessions and its recent sign-in attempts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.sessions.tokens import SessionInfo, list_sessions, revoke_sessions
from bastion.signin.attempts import list_activity
from bastion.web.deps import csrf_token_for, session_from_request
from bastion.web.pages.display import describe_device, outcome_words, reason_words
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.login import SIGNED_OUT, see_other, to_login
from bastion.web.pages.render import refusal_page, render

router = APIRouter()

ACTIVITY_SHOWN = 20
# Notices after a redirect come from this fixed list: nothing from the address is echoed.
NOTICES = {"ended": "That session has been ended.", "ended-others": "All your other sessions have been ended."}
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]


@router.get("/")
def home(request: Request, done: str = "") -> Response:
    services = request.app.state.services
    try:
        current = session_from_request(request)
    except BastionError as error:
        if error.code in SIGNED_OUT:
            return to_login(request)
        raise
    sessions = [
        dict(id=item.id, current=item.id == current.id, device=describe_device(item.user_agent),
             user_agent=item.user_agent or "", ip=item.ip or "unknown", created_at=item.created_at,
             last_seen_at=item.last_seen_at, remember=item.remember)
        for item in list_sessions(services, current.account_id)
    ]
    sessions.sort(key=lambda item: not item["current"])  # this one first, then newest first
    activity = [
        dict(time=item.created_at, outcome=item.outcome, outcome_words=outcome_words(item.outcome),
             reason=reason_words(item.code), reference=item.reference, ip=item.ip or "unknown",
             device=describe_device(item.user_agent), user_agent=item.user_agent or "")
        for item in list_activity(services, current.account_id, None, ACTIVITY_SHOWN).items
    ]
    return render(request, "home.html", email=current.email, sessions=sessions, activity=activity,
                  others=sum(1 for item in sessions if not item["current"]), notice=NOTICES.get(done),
                  csrf_token=csrf_token_for(services, current.id), signed_in=True)


def _session_action(request: Request, csrf_token: str) -> SessionInfo | Response:
    """The cookie session after the CSRF check, or the answer to give instead."""
    try:
        return session_from_request(request, csrf_form_value=csrf_token)
    except BastionError as error:
        if error.code in SIGNED_OUT:
            return to_login(request)
        return refusal_page(request, error)


@router.post("/sessions/end-others")
def end_other_sessions(request: Request, csrf_token: CsrfField = "") -> Response:
    session = _session_action(request, csrf_token)
    if isinstance(session, Response):
        return session
    services = request.app.state.services
    with services.db.transaction() as tx:
        revoke_sessions(tx, services.clock.now(), session.account_id, "ended_by_owner", keep=session.id)
    return see_other("/?done=ended-others")


@router.post("/sessions/{session_id}/end")
def end_session(request: Request, session_id: str, csrf_token: CsrfField = "") -> Response:
    session = _session_action(request, csrf_token)
    if isinstance(session, Response):
        return session
    services = request.app.state.services
    with services.db.transaction() as tx:
        # Only this account's sessions can match; ending one already ended changes nothing.
        revoke_sessions(tx, services.clock.now(), session.account_id, "ended_by_owner", only=session_id[:64])
    if session_id == session.id:
        return to_login(request, "signed-out")
    return see_other("/?done=ended")
