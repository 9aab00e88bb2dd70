"""The troubleshooter's table: refusals outside sign-in, looked up by their reference."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import UTCDateTime


class Refusal(Base):
    """Refusals outside sign-in, so every reference can be looked up."""

    __tablename__ = "refusals"

    reference: Mapped[str] = mapped_column(String(12), primary_key=True)
    code: Mapped[str] = mapped_column(String(48))
    status: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    account_id: Mapped[str | None] = mapped_column(String(36))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(200))
    ip: Mapped[str | None] = mapped_column(String(45))
