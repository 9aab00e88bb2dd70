"""The risk feature's table: the emailed device-verification codes of sign-ins from a new device."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import UTCDateTime, new_id


class DeviceChallenge(Base):
    """An emailed device-verification code and link for one sign-in flow (requirements §20).

    Only keyed hashes are kept; `attempts` is raised by a conditional UPDATE before a code is checked.
    Issuing a new one voids the account's older open ones (only the newest works).
    """

    __tablename__ = "device_challenges"
    __table_args__ = (Index("ix_device_challenges_account_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    flow_id: Mapped[str] = mapped_column(ForeignKey("sign_in_flows.id", ondelete="CASCADE"), index=True)
    code_mac: Mapped[str] = mapped_column(String(64))
    link_hash: Mapped[str] = mapped_column(String(64), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
