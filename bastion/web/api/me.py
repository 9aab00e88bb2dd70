"""The signed-in account: sessions, activity, anti-phishing code (step-up lives with the factors; whoami
in session_checks.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from bastion.accounts.devices import describe_agent
from bastion.accounts.password_change import change_password
from bastion.accounts.settings import set_anti_phishing_code
from bastion.accounts.words import place_words
from bastion.errors import BastionError, Reason
from bastion.geo import locate
from bastion.i18n import _
from bastion.risk.device_list import forget_known_device, known_devices
from bastion.sessions.revocation import list_sessions, revoke_sessions
from bastion.signin.attempts import list_activity
from bastion.web.api.schemas import (
    ActivityOut,
    AntiPhishingIn,
    DeviceListOut,
    DeviceOut,
    PasswordChangeIn,
    RevokedOut,
    SessionListItem,
    SessionListOut,
    StatusOut,
)
from bastion.web.deps import ClientDep, ServicesDep, SessionDep
from bastion.web.direct import json_answer
from bastion.web.inputs import EntityId
from bastion.web.openapi import problems
from bastion.web.params import OlderThan

router = APIRouter(prefix="/v1", tags=["me"], responses=problems(401, 403, 503))


@router.get("/me/sessions", response_model=SessionListOut)
def my_sessions(session: SessionDep, services: ServicesDep) -> SessionListOut:
    return SessionListOut(sessions=[
        SessionListItem(id=item.id, current=item.id == session.id, created_at=item.created_at,
                        last_seen_at=item.last_seen_at, expires_at=item.expires_at, ip=item.ip,
                        user_agent=item.user_agent, remember=item.remember, device=describe_agent(item.user_agent),
                        location=place_words(locate(item.ip).country))
        for item in list_sessions(services, session.account_id)
    ])


@router.delete("/me/sessions/{session_id}", status_code=204, responses=problems(404, 422))
def end_session(session_id: EntityId, session: SessionDep, services: ServicesDep) -> Response:
    with services.db.transaction() as tx:
        ended = revoke_sessions(tx, services.clock.now(), session.account_id, "ended_by_owner", only=session_id)
    if not ended:
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such active session on your account."))
    return Response(status_code=204)


@router.delete("/me/sessions", response_model=RevokedOut)
def end_other_sessions(session: SessionDep, services: ServicesDep) -> RevokedOut:
    with services.db.transaction() as tx:
        ended = revoke_sessions(tx, services.clock.now(), session.account_id, "ended_by_owner", keep=session.id)
    return RevokedOut(revoked=ended)


@router.get("/me/activity", response_model=ActivityOut, responses=problems(422))
def my_activity(
    session: SessionDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    before: OlderThan = None,
) -> Response:
    page = list_activity(services, session.account_id, before, limit)
    # Shaped as ActivityOut (which documents it) and serialized once, not validated again on the way out.
    return json_answer({
        "items": [{"time": item.created_at, "outcome": item.outcome, "code": item.code, "reference": item.reference,
                   "method": item.method, "ip": item.ip, "location": place_words(item.country),
                   "device": describe_agent(item.user_agent)} for item in page.items],
        "next_cursor": str(page.next_cursor) if page.next_cursor is not None else None,
    })


@router.get("/me/devices", response_model=DeviceListOut)
def my_devices(session: SessionDep, services: ServicesDep, client: ClientDep) -> DeviceListOut:
    """Known devices: the device in words, first and last seen, last IP and place, trusted until.

    `trusted_until` is null once trust lapsed or was revoked (password or second factors changed).
    """
    return DeviceListOut(devices=[DeviceOut.model_validate(item)
                                  for item in known_devices(services, session.account_id, client.device_id)])


@router.delete("/me/devices/{device_id}", status_code=204, responses=problems(404, 422))
def forget_my_device(device_id: EntityId, session: SessionDep, services: ServicesDep, client: ClientDep) -> Response:
    """Forget a device: it is no longer known nor trusted (its next sign-in is a new device's)."""
    if not forget_known_device(services, session.account_id, device_id, client):
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such device on your account."))
    return Response(status_code=204)


@router.put("/me/anti-phishing-code", response_model=StatusOut, responses=problems(422))
def put_anti_phishing_code(body: AntiPhishingIn, session: SessionDep, services: ServicesDep,
                           client: ClientDep) -> StatusOut:
    set_anti_phishing_code(services, session, body.code, client)
    return StatusOut(status="updated")


@router.put("/me/password", response_model=RevokedOut, responses=problems(422, 429))
def put_password(body: PasswordChangeIn, session: SessionDep, services: ServicesDep, client: ClientDep) -> RevokedOut:
    """Change the password with the current one; other sessions end unless `end_other_sessions` is false."""
    return RevokedOut(revoked=change_password(services, session, body.current_password, body.new_password, client,
                                              body.end_other_sessions))
