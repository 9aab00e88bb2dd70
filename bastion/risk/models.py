"""The risk feature's tables: the devices that signed in and their emailed verification codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import UTCDateTime, new_id


class Device(Base):
    """A browser (device cookie) or app (X-Device-Id) that signed in to the account (REQUIREMENTS 18).

    Only a hash of the device identifier is kept.
    """

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("account_id", "device_hash", name="uq_devices_account_device"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    device_hash: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    # Parsed user agent (ua-parser) and last location (geoip2fast: country, AS organisation).
    browser: Mapped[str | None] = mapped_column(String(64))
    os: Mapped[str | None] = mapped_column(String(64))
    device_family: Mapped[str | None] = mapped_column(String(64))
    last_country: Mapped[str | None] = mapped_column(String(2))
    last_asn_name: Mapped[str | None] = mapped_column(String(100))
    # "Remember this device" (REQUIREMENTS 20): trusted until, and over which security state.
    trusted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trust_fingerprint: Mapped[str | None] = mapped_column(String(64))


class DeviceChallenge(Base):
    """An emailed device-verification code and link for one sign-in flow (REQUIREMENTS 20).

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
