"""Announcements on the status page: security advisories, phishing warnings, notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select

from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.ops.models import Announcement
from bastion.services import Services
from bastion.store.changes import rows_changed

KINDS = ("security_advisory", "phishing_warning", "notice")


@dataclass(frozen=True, slots=True)
class AnnouncementView:
    id: str
    kind: str
    title: str
    body: str
    publish_at: datetime
    expires_at: datetime | None


def _view(row: Announcement) -> AnnouncementView:
    return AnnouncementView(row.id, row.kind, row.title, row.body, row.publish_at, row.expires_at)


def publish(services: Services, kind: str, title: str, body: str, publish_at: datetime | None = None,
            expires_at: datetime | None = None) -> AnnouncementView:
    now = services.clock.now()
    if kind not in KINDS:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("Kind must be one of %(kinds)s.") % {"kinds": ", ".join(KINDS)})
    start = publish_at or now
    if expires_at is not None and expires_at <= start:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("An announcement must expire after it is published."))
    row = Announcement(kind=kind, title=title, body=body, publish_at=start, expires_at=expires_at, created_at=now)
    with services.db.transaction() as tx:
        tx.add(row)
    return _view(row)


def withdraw(services: Services, announcement_id: str) -> bool:
    with services.db.transaction() as tx:
        return rows_changed(tx, delete(Announcement).where(Announcement.id == announcement_id)) == 1


def live_announcements(services: Services) -> list[AnnouncementView]:
    now = services.clock.now()
    with services.db.transaction() as tx:
        rows = tx.execute(
            select(Announcement)
            .where(Announcement.publish_at <= now, or_(Announcement.expires_at.is_(None), Announcement.expires_at > now))
            .order_by(Announcement.publish_at.desc())
        ).scalars()
        return [_view(row) for row in rows]
