"""The signed-in home page: the account, its live sessions and its recent sign-in attempts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.devices import describe_agent
from bastion.accounts.settings import has_anti_phishing_code, set_anti_phishing_code
from bastion.errors import BastionError
from bastion.risk.geo import locate
from bastion.risk.words import place_words
from bastion.sessions.stepup import reauthenticate_with_password
from bastion.sessions.tokens import SessionInfo, list_sessions, revoke_sessions
from bastion.signin.attempts import list_activity
from bastion.web.deps import csrf_token_for, session_from_request
from bastion.web.pages.display import describe_device, outcome_words, reason_words
from bastion.web.api.schemas import AntiPhishingIn
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.login import SIGNED_OUT, see_other, to_login
from bastion.web.pages.render import problem_for, refusal_page, render

router = APIRouter()

ACTIVITY_SHOWN = 20
# Notices after a redirect come from this fixed list: nothing from the address is echoed.
NOTICES = {"ended": "That session has been ended.", "ended-others": "All your other sessions have been ended.",
           "anti-phishing": "Your anti-phishing code is saved. Look for it at the top of every email from us."}
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
FormText = Annotated[str, Form()]


@router.get("/")
def home(request: Request, done: str = "") -> Response:
    try:
        current = session_from_request(request)
    except BastionError as error:
        if error.code in SIGNED_OUT:
            return to_login(request)
        raise
    return _home_page(request, current, notice=NOTICES.get(done))


@router.get("/security")
def security() -> Response:
    """Where emails send people to review their security settings."""
    return see_other("/")


def _home_page(request: Request, current: SessionInfo, notice: str | None = None,
               anti_phishing_error: BastionError | None = None) -> Response:
    services = request.app.state.services
    sessions = [
        dict(id=item.id, current=item.id == current.id, device=describe_device(item.user_agent),
             location=place_words(locate(item.ip).country),
             user_agent=item.user_agent or "", ip=item.ip or "unknown", created_at=item.created_at,
             last_seen_at=item.last_seen_at, remember=item.remember)
        for item in list_sessions(services, current.account_id)
    ]
    sessions.sort(key=lambda item: not item["current"])  # this one first, then newest first
    activity = [
        dict(time=item.created_at, outcome=item.outcome, outcome_words=outcome_words(item.outcome),
             reason=reason_words(item.code), reference=item.reference, ip=item.ip or "unknown",
             device=describe_agent(item.user_agent), location=place_words(item.country),
             user_agent=item.user_agent or "")
        for item in list_activity(services, current.account_id, None, ACTIVITY_SHOWN).items
    ]
    problem = problem_for(request, anti_phishing_error) if anti_phishing_error else None
    return render(request, "home.html", status_code=anti_phishing_error.reason.status if anti_phishing_error else 200,
                  email=current.email, sessions=sessions, activity=activity,
                  others=sum(1 for item in sessions if not item["current"]), notice=notice,
                  anti_phishing_set=has_anti_phishing_code(services, current.account_id),
                  anti_phishing_problem=problem,
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


@router.post("/settings/anti-phishing-code")
def set_anti_phishing(request: Request, code: FormText = "", password: FormText = "",
                      csrf_token: CsrfField = "") -> Response:
    """Confirming the password here is the step-up the change needs (REQUIREMENTS 13, 22)."""
    session = _session_action(request, csrf_token)
    if isinstance(session, Response):
        return session
    services = request.app.state.services
    client = client_from(request)
    try:
        body = parse_form(AntiPhishingIn, code=code)
        session = reauthenticate_with_password(services, session, password, client)
        set_anti_phishing_code(services, session, body.code, client)
    except BastionError as error:
        return _home_page(request, session, anti_phishing_error=error)
    return see_other("/?done=anti-phishing")
