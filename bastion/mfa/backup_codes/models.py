"""The backup codes' tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import BigIntPK, UTCDateTime, new_id


class BackupCodeSet(Base):
    """One set of backup codes; `hash_key` (random, AES-GCM under the key ring) keys the codes' HMACs."""

    __tablename__ = "backup_code_sets"
    __table_args__ = (Index("ix_backup_code_sets_account_id", "account_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    hash_key: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BackupCode(Base):
    __tablename__ = "backup_codes"
    __table_args__ = (UniqueConstraint("set_id", "code_mac", name="uq_backup_codes_set_mac"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    set_id: Mapped[str] = mapped_column(ForeignKey("backup_code_sets.id", ondelete="CASCADE"))
    code_mac: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
