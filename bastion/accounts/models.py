"""The accounts feature's tables: the account, its emailed single-use tokens and the devices that signed in to it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import JSONText, UTCDateTime, new_id


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # active | frozen | suspended | banned (requirements §28, §30)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # CIDRs the owner allows sign-in from (requirements §29); empty: anywhere.
    ip_allowlist: Mapped[list[str]] = mapped_column(JSONText, default=list, server_default="[]")
    roles: Mapped[str] = mapped_column(String(64), default="")
    # AES-GCM under the key ring (requirements §14, §22).
    anti_phishing_code: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last password reset or change, or 2FA reset: sign-ins started before it never finish.
    security_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the owner reads Bastion in, pages and emails (bastion/accounts/preferences.py): a BCP 47
    # tag of a shipped language and an IANA zone; None: the browser's, and for emails English and UTC.
    language: Mapped[str | None] = mapped_column(String(35))
    time_zone: Mapped[str | None] = mapped_column(String(64))

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(role for role in self.roles.split(",") if role)


class OneTimeToken(Base):
    """Emailed single-use tokens: email confirmation, password reset, freeze and cancel links.

    A sign-up's confirmation link carries the password hash that sign-up chose (applied when the
    link is confirmed, then cleared) and its `origin` (when, IP, user agent, country), for the email.
    """

    __tablename__ = "one_time_tokens"
    __table_args__ = (Index("ix_one_time_tokens_account_purpose", "account_id", "purpose"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    origin: Mapped[dict[str, str] | None] = mapped_column(JSONText)


class Device(Base):
    """A browser (device cookie) or app (X-Device-Id) that signed in to the account (requirements §18).

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
    # "Remember this device" (requirements §20): trusted until, and over which security state.
    trusted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trust_fingerprint: Mapped[str | None] = mapped_column(String(64))
