"""The audit trail's tables: the hash-chained events and the chain's head."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import BigIntPK, JSONText, UTCDateTime


class SecurityEvent(Base):
    """The audit trail: append-only and hash-chained (bastion/audit.py). `data` never holds a secret.

    A row is written unsealed in its cause's transaction; the sealer then gives it the next
    `chain_seq`, the previous row's hash (`chain_prev`), its own hash over both, and a MAC of
    that hash under the key ring. Database triggers refuse deletes and any change but sealing.
    """

    __tablename__ = "security_events"
    __table_args__ = (
        Index("ix_security_events_account_id_id", "account_id", "id"),
        Index("ix_security_events_actor_id_id", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    account_id: Mapped[str | None] = mapped_column(String(36))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))
    data: Mapped[dict[str, Any]] = mapped_column(JSONText, default=dict)
    chain_seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chain_prev: Mapped[str | None] = mapped_column(String(64))
    chain_hash: Mapped[str | None] = mapped_column(String(64))
    chain_mac: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The one row naming the chain's last sealed event, so removing events at the end shows too."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str | None] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
