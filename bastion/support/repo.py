"""The support console's statements about its own tables: agents' approvals and internal notes on
cases, and the prepared rejection reasons. What it reads of other features goes through theirs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, FromClause, ScalarSelect, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Tx

from bastion.support.models import CaseApproval, CaseNote, RejectionReason


def approvals_given(tx: Tx, case_id: str, documents_sha256: str) -> list[CaseApproval]:
    """The approvals given for the case's documents as they were (by their digest), earliest first."""
    return list(tx.execute(select(CaseApproval).where(CaseApproval.case_id == case_id,
                                                      CaseApproval.documents_sha256 == documents_sha256)
                           .order_by(CaseApproval.created_at)).scalars())


def count_approvals(tx: Tx, case_id: str, documents_sha256: str) -> int:
    return tx.execute(select(func.count()).select_from(CaseApproval).where(
        CaseApproval.case_id == case_id, CaseApproval.documents_sha256 == documents_sha256)).scalar_one()


def approvals_counted(case_id: ColumnElement[Any], cases: FromClause) -> ScalarSelect[int]:
    """Every approval of the case whose id is `case_id`, in a statement over `cases` (the queue's page)."""
    return (select(func.count()).select_from(CaseApproval).where(CaseApproval.case_id == case_id)
            .correlate(cases).scalar_subquery())


def drop_earlier_approval(tx: Tx, case_id: str, agent_id: str, documents_sha256: str) -> None:
    """This agent's approval of documents since replaced: the new one takes its place."""
    tx.execute(delete(CaseApproval).where(CaseApproval.case_id == case_id, CaseApproval.agent_id == agent_id,
                                          CaseApproval.documents_sha256.is_distinct_from(documents_sha256)))


def add_approval(tx: Tx, case_id: str, agent_id: str, reason: str, now: datetime, documents_sha256: str) -> bool:
    """False when this agent has already approved these documents (the primary key decides)."""
    try:
        with tx.begin_nested():
            tx.add(CaseApproval(case_id=case_id, agent_id=agent_id, reason=reason, created_at=now,
                                documents_sha256=documents_sha256))
    except IntegrityError:
        return False
    return True


def add_note(tx: Tx, case_id: str, author_id: str, body: str, now: datetime) -> int:
    """The new note's id."""
    note = CaseNote(case_id=case_id, author_id=author_id, body=body, created_at=now)
    tx.add(note)
    tx.flush()
    return note.id


def notes_on(tx: Tx, case_id: str) -> list[CaseNote]:
    """The case's notes, in the order they were written."""
    return list(tx.execute(select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id)).scalars())


def reasons_in_use(tx: Tx) -> list[RejectionReason]:
    """The prepared reasons not retired, by title."""
    return list(tx.execute(select(RejectionReason).where(RejectionReason.retired_at.is_(None))
                           .order_by(RejectionReason.title)).scalars())


def find_reason(tx: Tx, reason_id: str) -> RejectionReason | None:
    return tx.get(RejectionReason, reason_id)


def add_reason(tx: Tx, title: str, body: str, kinds: str, now: datetime) -> RejectionReason:
    reason = RejectionReason(title=title, body=body, kinds=kinds, created_at=now, updated_at=now)
    tx.add(reason)
    tx.flush()
    return reason


def change_reason(reason: RejectionReason, title: str, body: str, kinds: str, now: datetime) -> None:
    """Written when the transaction ends, like every change to a row read in it."""
    reason.title, reason.body, reason.kinds, reason.updated_at = title, body, kinds, now


def retire_reason(reason: RejectionReason, now: datetime) -> None:
    """Kept, so the audit events that name it keep their meaning."""
    reason.retired_at = now
