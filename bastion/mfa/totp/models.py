"""The authenticator app's tables (requirements §8)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import UTCDateTime, new_id


class TotpCredential(Base):
    """An authenticator app (RFC 6238). `secret` is AES-GCM under the key ring, bound to the row id.

    `last_step` is the highest time step ever accepted: a step is accepted only by a conditional
    UPDATE that raises it, so no code works twice (requirements §8).
    """

    __tablename__ = "totp_credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TotpBurnedStep(Base):
    """Future time steps whose code was presented early (clock-skew diagnosis): never accepted later."""

    __tablename__ = "totp_burned_steps"

    credential_id: Mapped[str] = mapped_column(
        ForeignKey("totp_credentials.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
