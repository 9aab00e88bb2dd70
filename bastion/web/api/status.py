"""GET /v1/status: maintenance now and next, announcements, client versions — public."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from bastion.ops.announcements import live_announcements
from bastion.ops.client_versions import Policy, all_policies
from bastion.ops.maintenance import upcoming_windows
from bastion.services import Services
from bastion.web.api.answers import answer_model
from bastion.web.deps import ServicesDep

router = APIRouter(prefix="/v1", tags=["status"])


class WindowOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    message: str
    sessions_affected: bool


class MaintenanceOut(BaseModel):
    current: WindowOut | None
    next: WindowOut | None


class AnnouncementOut(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    published_at: datetime
    expires_at: datetime | None


ClientVersionOut = answer_model(Policy, "ClientVersionOut")


class StatusOut(BaseModel):
    maintenance: MaintenanceOut
    announcements: list[AnnouncementOut]
    client_versions: list[ClientVersionOut]  # type: ignore[valid-type]


def current_status(services: Services) -> StatusOut:
    now = services.clock.now()
    windows = [WindowOut(starts_at=w.starts_at, ends_at=w.ends_at, message=w.shown_message,
                         sessions_affected=w.block_sessions) for w in upcoming_windows(services)]
    current = next((w for w in windows if w.starts_at <= now), None)
    upcoming = next((w for w in windows if w.starts_at > now), None)
    return StatusOut(
        maintenance=MaintenanceOut(current=current, next=upcoming),
        announcements=[AnnouncementOut(id=a.id, kind=a.kind, title=a.title, body=a.body, published_at=a.publish_at,
                                       expires_at=a.expires_at) for a in live_announcements(services)],
        client_versions=[ClientVersionOut.model_validate(policy) for policy in all_policies(services)],
    )


@router.get("/status", response_model=StatusOut)
def status(services: ServicesDep) -> StatusOut:
    return current_status(services)
