"""Where the account is signed in (end one, or all others) and the devices it knows (forget one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.devices import describe_agent
from bastion.accounts.words import place_words
from bastion.errors import BastionError, Reason
from bastion.geo import locate
from bastion.i18n import N_, _
from bastion.risk.device_list import forget_known_device, known_devices
from bastion.sessions.revocation import list_sessions, revoke_sessions
from bastion.sessions.tokens import SessionInfo
from bastion.web.client import client_from
from bastion.web.inputs import valid_id
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.redirects import see_other, to_login
from bastion.web.pages.signed_in import PageSession, account_page, act, notice_for

router = APIRouter(prefix="/security")
PAGE = "/security/sessions"
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"ended": N_("That session has been ended."), "ended-others": N_("All your other sessions have been ended."),
           "forgotten": N_("That device is forgotten: its next sign-in counts as a new device's.")}


def sessions_page(request: Request, session: SessionInfo, error: BastionError | None = None,
                  notice: str | None = None) -> Response:
    services = request.app.state.services
    sessions = [
        dict(id=item.id, current=item.id == session.id, device=describe_agent(item.user_agent),
             location=place_words(locate(item.ip).country), user_agent=item.user_agent or "",
             ip=item.ip or _("unknown"), created_at=item.created_at, last_seen_at=item.last_seen_at,
             remember=item.remember)
        for item in list_sessions(services, session.account_id)
    ]
    sessions.sort(key=lambda item: not item["current"])  # this one first, then newest first
    devices = known_devices(services, session.account_id, client_from(request).device_id)
    return account_page(request, session, "security/sessions.html", error, notice, sessions=sessions,
                        devices=devices, others=sum(1 for item in sessions if not item["current"]))


@router.get("/sessions")
def sessions(request: Request, session: PageSession, done: str = "") -> Response:
    return sessions_page(request, session, notice=notice_for(done, NOTICES))


@router.post("/sessions/end-others")
def end_other_sessions(request: Request, csrf_token: CsrfField = "") -> Response:
    def end(session: SessionInfo) -> Response:
        services = request.app.state.services
        with services.db.transaction() as tx:
            revoke_sessions(tx, services.clock.now(), session.account_id, "ended_by_owner", keep=session.id)
        return see_other(f"{PAGE}?done=ended-others")

    return act(request, csrf_token, PAGE, end, lambda session, error: sessions_page(request, session, error))


@router.post("/sessions/{session_id}/end")
def end_session(request: Request, session_id: str, csrf_token: CsrfField = "") -> Response:
    def end(session: SessionInfo) -> Response:
        services = request.app.state.services
        with services.db.transaction() as tx:
            # Only this account's sessions can match; ending one already ended changes nothing.
            revoke_sessions(tx, services.clock.now(), session.account_id, "ended_by_owner",
                            only=valid_id(session_id, "session_id"))
        if session_id == session.id:
            return to_login(request, "signed-out")
        return see_other(f"{PAGE}?done=ended")

    return act(request, csrf_token, PAGE, end, lambda session, error: sessions_page(request, session, error))


@router.post("/devices/{device_id}/forget")
def forget_device(request: Request, device_id: str, csrf_token: CsrfField = "") -> Response:
    def forget(session: SessionInfo) -> Response:
        if not forget_known_device(request.app.state.services, session.account_id, device_id,
                                   client_from(request)):
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such device on your account."))
        return see_other(f"{PAGE}?done=forgotten")

    return act(request, csrf_token, PAGE, forget, lambda session, error: sessions_page(request, session, error))
