"""The outbox: mail written in its cause's transaction, delivered at least once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import BigIntPK, UTCDateTime


class OutboxMessage(Base):
    """Mail written in the same transaction as its cause; delivered at least once."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    account_id: Mapped[str | None] = mapped_column(String(36))
    to_address: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255))
    # Bodies may carry one-time links: encrypted at rest like every other secret.
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    transport: Mapped[str | None] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(String(500))
