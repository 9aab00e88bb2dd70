"""The operations feature's tables: maintenance windows, app version policies, announcements."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import UTCDateTime, new_id


class MaintenanceWindow(Base):
    """A scheduled or immediate maintenance window (requirements §31)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    message: Mapped[str] = mapped_column(String(500))
    # Whether signed-in sessions are refused too; by default they keep working.
    block_sessions: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(36))


class ClientVersionPolicy(Base):
    """Minimum and recommended app versions per platform (requirements §32)."""

    __tablename__ = "client_version_policies"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    minimum: Mapped[str | None] = mapped_column(String(32))
    recommended: Mapped[str | None] = mapped_column(String(32))
    update_url: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Announcement(Base):
    """Security advisories and phishing warnings on the status page."""

    __tablename__ = "announcements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
