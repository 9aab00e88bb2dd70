"""The sign-in feature's tables: flows in progress and every attempt's record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import BigIntPK, JSONText, UTCDateTime, new_id


class SignInFlow(Base):
    """A sign-in in progress: which stages are done and what is still required."""

    __tablename__ = "sign_in_flows"
    __table_args__ = (Index("ix_sign_in_flows_account_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    device_id: Mapped[str | None] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)


class SignInAttempt(Base):
    """Every sign-in step, kept for the owner's history and support's look-up by reference."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_account_id_id", "account_id", "id"),
        Index("ix_sign_in_attempts_identifier_id", "identifier", "id"),
        # Support's search by address or network: equality, and LIKE on a prefix with PostgreSQL's pattern ops.
        Index("ix_sign_in_attempts_ip", "ip", postgresql_ops={"ip": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    reference: Mapped[str | None] = mapped_column(String(12), unique=True)
    # No foreign key: an attempt is a log row, and one would lock the account's row (migration 0009).
    account_id: Mapped[str | None] = mapped_column(String(36))
    identifier: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    code: Mapped[str | None] = mapped_column(String(48))
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    device_id: Mapped[str | None] = mapped_column(String(64))
    flow_id: Mapped[str | None] = mapped_column(String(36))
    # Where the address was (requirements §18-19): ISO country code and AS organisation, offline lookup.
    country: Mapped[str | None] = mapped_column(String(2))
    asn_name: Mapped[str | None] = mapped_column(String(100))
    # The risk decision and its signals, when the sign-in was assessed.
    risk: Mapped[dict[str, Any] | None] = mapped_column(JSONText)
