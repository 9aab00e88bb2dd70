"""The recovery feature's tables: recovery cases and their identity evidence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import UTCDateTime, new_id


class RecoveryCase(Base):
    """A support-reviewed way back in: a 2FA reset or the lifting of a freeze (requirements §16-17, §28).

    `access_hash` is the hash of the link emailed to the account (uploads and status need it);
    `due_at` is when an approved case takes effect, unless the owner cancels it first.
    """

    __tablename__ = "recovery_cases"
    __table_args__ = (
        Index("ix_recovery_cases_account_id", "account_id"),
        Index("ix_recovery_cases_status_due_at", "status", "due_at"),
        Index("ix_recovery_cases_status_created_at", "status", "created_at"),  # the queue, oldest first
        # At most one open case of each kind per account, even under concurrent requests.
        Index("uq_recovery_cases_open", "account_id", "kind", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24))
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(36))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The agent working on it (bastion.support.claims): one at a time, taken by a conditional UPDATE.
    claimed_by: Mapped[str | None] = mapped_column(String(36))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseDocument(Base):
    """Identity evidence: the file is AES-GCM encrypted under the key ring; `data` is emptied on purge."""

    __tablename__ = "case_documents"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_case_documents_case_kind"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
