"""Maintenance windows (requirements §31): start one now, schedule one, end or cancel them."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.ops import maintenance
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.ops_admin import ScheduleIn, StartIn
from bastion.web.inputs import valid_id
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import ADMIN, AdminSession, act, notice_for
from bastion.web.pages.staff import staff_page, time_field, typed_time

router = APIRouter(prefix="/admin")
PAGE = "/admin/maintenance"
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"started": N_("Maintenance has started: sign-in and sign-up answer 503 until it ends."),
           "scheduled": N_("The maintenance window is scheduled; the status page shows it."),
           "stopped": N_("Maintenance has ended."), "cancelled": N_("The maintenance window is cancelled.")}


def maintenance_page(request: Request, session: SessionInfo, error: BastionError | None = None,
                     notice: str | None = None) -> Response:
    services = request.app.state.services
    now = services.clock.now()
    windows = maintenance.upcoming_windows(services)
    return staff_page(request, session, "admin/maintenance.html", PAGE, error, notice, windows=windows, now=now,
                      current=any(window.starts_at <= now for window in windows),
                      default_start=time_field(now + timedelta(days=1)),
                      default_end=time_field(now + timedelta(days=1, hours=1)), default_message=maintenance.DEFAULT_MESSAGE)


@router.get("")
def admin_home() -> Response:
    return see_other(PAGE)


@router.get("/maintenance")
def maintenance_windows(request: Request, session: AdminSession, done: str = "") -> Response:
    return maintenance_page(request, session, notice=notice_for(done, NOTICES))


def _refused(request: Request):  # type: ignore[no-untyped-def]
    return lambda session, error: maintenance_page(request, session, error)


@router.post("/maintenance/start")
def start(request: Request, minutes: FormText = "", message: FormText = "", block_sessions: FormText = "",
          csrf_token: CsrfField = "") -> Response:
    def start_now(session: SessionInfo) -> Response:
        body = parse_form(StartIn, minutes=minutes or "0", message=message or maintenance.DEFAULT_MESSAGE,
                          block_sessions=block_sessions == "on")
        maintenance.start_maintenance(request.app.state.services, timedelta(minutes=body.minutes), body.message,
                                      body.block_sessions, session.account_id)
        return see_other(f"{PAGE}?done=started")

    return act(request, csrf_token, PAGE, start_now, _refused(request), ADMIN)


@router.post("/maintenance/schedule")
def schedule(request: Request, starts_at: FormText = "", ends_at: FormText = "", message: FormText = "",
             block_sessions: FormText = "", csrf_token: CsrfField = "") -> Response:
    def schedule_it(session: SessionInfo) -> Response:
        body = parse_form(ScheduleIn, starts_at=typed_time(starts_at, N_("start")),
                          ends_at=typed_time(ends_at, N_("end")),
                          message=message or maintenance.DEFAULT_MESSAGE, block_sessions=block_sessions == "on")
        maintenance.schedule_window(request.app.state.services, body.starts_at, body.ends_at, body.message,
                                    body.block_sessions, session.account_id)
        return see_other(f"{PAGE}?done=scheduled")

    return act(request, csrf_token, PAGE, schedule_it, _refused(request), ADMIN)


@router.post("/maintenance/stop")
def stop(request: Request, csrf_token: CsrfField = "") -> Response:
    def stop_now(session: SessionInfo) -> Response:
        maintenance.stop_maintenance(request.app.state.services, session.account_id)
        return see_other(f"{PAGE}?done=stopped")

    return act(request, csrf_token, PAGE, stop_now, _refused(request), ADMIN)


@router.post("/maintenance/{window_id}/cancel")
def cancel(request: Request, window_id: str, csrf_token: CsrfField = "") -> Response:
    def cancel_it(session: SessionInfo) -> Response:
        if not maintenance.cancel_window(request.app.state.services, valid_id(window_id, "window_id")):
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such maintenance window."))
        return see_other(f"{PAGE}?done=cancelled")

    return act(request, csrf_token, PAGE, cancel_it, _refused(request), ADMIN)
