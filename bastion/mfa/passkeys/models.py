"""The passkeys' tables (requirements §12)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import JSONText, UTCDateTime, new_id


class Passkey(Base):
    """A WebAuthn credential (requirements §12). The public key is public; nothing here is secret."""

    __tablename__ = "passkeys"
    __table_args__ = (Index("ix_passkeys_account_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url, ≤1023 raw bytes
    public_key: Mapped[str] = mapped_column(Text)  # base64url COSE key
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(64))
    aaguid: Mapped[str | None] = mapped_column(String(36))
    transports: Mapped[list[str]] = mapped_column(JSONText, default=list)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasskeyChallenge(Base):
    """A WebAuthn challenge, kept only as its SHA-256, used once (registration, second factor, passwordless)."""

    __tablename__ = "passkey_challenges"

    challenge_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    flow_id: Mapped[str | None] = mapped_column(ForeignKey("sign_in_flows.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
