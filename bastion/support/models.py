"""The support console's tables: approvals and notes on cases, prepared rejection reasons."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import BigIntPK, UTCDateTime, new_id


class CaseApproval(Base):
    """One agent's approval; a case may need approvals from two different agents."""

    __tablename__ = "case_approvals"

    case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    documents_sha256: Mapped[str | None] = mapped_column(String(64))  # what was approved (documents_digest)


class CaseNote(Base):
    """An agent's internal note on a case: staff read it, the account holder never does."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(String(36))
    body: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RejectionReason(Base):
    """A prepared reason for rejecting a case, written by an admin; agents may edit it before sending.

    `kinds` lists the case kinds it fits (comma-separated; empty: every kind). A retired reason is
    kept, so the audit log's references to it keep their meaning.
    """

    __tablename__ = "rejection_reasons"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(String(500))
    kinds: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def kind_list(self) -> list[str]:
        return [kind for kind in self.kinds.split(",") if kind]
