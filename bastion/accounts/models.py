"""The accounts feature's tables: the account itself and its emailed single-use tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import JSONText, UTCDateTime, new_id


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # active | frozen | suspended | banned (REQUIREMENTS 28, 30)
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(500))
    status_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # CIDRs the owner allows sign-in from (REQUIREMENTS 29); empty: anywhere.
    ip_allowlist: Mapped[list[str]] = mapped_column(JSONText, default=list, server_default="[]")
    roles: Mapped[str] = mapped_column(String(64), default="")
    # AES-GCM under the key ring (REQUIREMENTS 14, 22).
    anti_phishing_code: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last password reset or change, or 2FA reset: sign-ins started before it never finish.
    security_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(role for role in self.roles.split(",") if role)


class OneTimeToken(Base):
    """Emailed single-use tokens: email confirmation, password reset, freeze and cancel links.

    A sign-up's confirmation link carries the password hash that sign-up chose (applied when the
    link is confirmed, then cleared) and its `origin` in words, for the email.
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
