"""Admin: maintenance windows, client-version policy, announcements."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StringConstraints

from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.ops import announcements, client_versions, maintenance
from bastion.ops.maintenance_window import Window
from bastion.web.api.admin import Admin
from bastion.web.api.schemas import Body
from bastion.web.api.status import AnnouncementOut, ClientVersionOut, WindowOut
from bastion.web.deps import ServicesDep
from bastion.web.inputs import EntityId, Moment
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1/admin", tags=["admin"], responses=problems(401, 403, 404, 422, 503))
Message = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
Version = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]


class ScheduleIn(Body):
    starts_at: Moment
    ends_at: Moment
    message: Message = maintenance.DEFAULT_MESSAGE
    block_sessions: bool = False


class StartIn(Body):
    minutes: int = Field(ge=1, le=7 * 24 * 60)
    message: Message = maintenance.DEFAULT_MESSAGE
    block_sessions: bool = False


class WindowWithId(WindowOut):
    id: str


class StoppedOut(BaseModel):
    ended: int


class PolicyIn(Body):
    minimum: Version | None = None
    recommended: Version | None = None
    update_url: Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://")] | None = None


class AnnouncementIn(Body):
    kind: str
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
    publish_at: Moment | None = None
    expires_at: Moment | None = None


def _window(window: Window) -> WindowWithId:
    return WindowWithId(id=window.id, starts_at=window.starts_at, ends_at=window.ends_at, message=window.message,
                        sessions_affected=window.block_sessions)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("Times need a time zone, e.g. 2026-12-01T02:00:00Z."))
    return moment


@router.get("/maintenance", response_model=list[WindowWithId])
def list_windows(_admin: Admin, services: ServicesDep) -> list[WindowWithId]:
    return [_window(window) for window in maintenance.upcoming_windows(services)]


@router.post("/maintenance", response_model=WindowWithId, status_code=201)
def schedule(body: ScheduleIn, staff: Admin, services: ServicesDep) -> WindowWithId:
    return _window(maintenance.schedule_window(services, _aware(body.starts_at), _aware(body.ends_at),  # type: ignore[arg-type]
                                               body.message, body.block_sessions, staff.account_id))


@router.post("/maintenance/start", response_model=WindowWithId, status_code=201)
def start(body: StartIn, staff: Admin, services: ServicesDep) -> WindowWithId:
    return _window(maintenance.start_maintenance(services, timedelta(minutes=body.minutes), body.message,
                                                 body.block_sessions, staff.account_id))


@router.post("/maintenance/stop", response_model=StoppedOut)
def stop(staff: Admin, services: ServicesDep) -> StoppedOut:
    return StoppedOut(ended=maintenance.stop_maintenance(services, staff.account_id))


@router.delete("/maintenance/{window_id}", status_code=204)
def cancel(window_id: EntityId, _admin: Admin, services: ServicesDep) -> Response:
    if not maintenance.cancel_window(services, window_id):
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such maintenance window."))
    return Response(status_code=204)


@router.put("/client-versions/{platform}", response_model=ClientVersionOut)
def put_policy(platform: str, body: PolicyIn, _admin: Admin, services: ServicesDep) -> BaseModel:
    policy = client_versions.set_policy(services, platform, body.minimum, body.recommended, body.update_url)
    return ClientVersionOut.model_validate(policy)


@router.post("/announcements", response_model=AnnouncementOut, status_code=201)
def announce(body: AnnouncementIn, _admin: Admin, services: ServicesDep) -> AnnouncementOut:
    item = announcements.publish(services, body.kind, body.title, body.body, _aware(body.publish_at),
                                 _aware(body.expires_at))
    return AnnouncementOut(id=item.id, kind=item.kind, title=item.title, body=item.body,
                           published_at=item.publish_at, expires_at=item.expires_at)


@router.delete("/announcements/{announcement_id}", status_code=204)
def withdraw(announcement_id: EntityId, _admin: Admin, services: ServicesDep) -> Response:
    if not announcements.withdraw(services, announcement_id):
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such announcement."))
    return Response(status_code=204)
