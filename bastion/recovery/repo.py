"""The recovery cases' statements the support console's casework runs: finding a case and its
documents, and the conditional UPDATEs that claim, release and decide it (each decides between
agents acting at once: docs/design/case-decisions.md)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, or_, select, update
from sqlalchemy.orm import Session as Tx

from bastion.recovery.models import CaseDocument, RecoveryCase
from bastion.store.changes import rows_changed

UNDER_REVIEW = ("awaiting_documents", "in_review")


def find_case(tx: Tx, case_id: str) -> RecoveryCase | None:
    return tx.get(RecoveryCase, case_id)


def case_account_id(reader: Tx | Connection, case_id: str) -> str | None:
    return reader.execute(select(RecoveryCase.account_id).where(RecoveryCase.id == case_id)).scalar_one_or_none()


def documents_of(tx: Tx, case_id: str) -> list[CaseDocument]:
    return list(tx.execute(select(CaseDocument).where(CaseDocument.case_id == case_id)).scalars())


def document_kinds(tx: Tx, case_id: str) -> set[str]:
    return set(tx.execute(select(CaseDocument.kind).where(CaseDocument.case_id == case_id)).scalars())


def claim_case(tx: Tx, case_id: str, agent_id: str, now: datetime) -> bool:
    """Of agents claiming at once, exactly one wins: the case open, under review and free."""
    return rows_changed(tx, update(RecoveryCase).where(
        RecoveryCase.id == case_id, RecoveryCase.claimed_by.is_(None), RecoveryCase.closed_at.is_(None),
        RecoveryCase.status.in_(UNDER_REVIEW)
    ).values(claimed_by=agent_id, claimed_at=now)) == 1


def release_case(tx: Tx, case_id: str, holder: str | None) -> bool:
    """The claim ends, if it is still `holder`'s."""
    return rows_changed(tx, update(RecoveryCase).where(RecoveryCase.id == case_id, RecoveryCase.claimed_by == holder)
                        .values(claimed_by=None, claimed_at=None)) == 1


def take_case(tx: Tx, case_id: str, agent_id: str, states: Collection[str], **values: object) -> bool:
    """The one statement that decides between agents: the case still in `states`, open, and free
    or held by this agent. It locks the row until the transaction ends."""
    return rows_changed(tx, update(RecoveryCase).where(
        RecoveryCase.id == case_id, RecoveryCase.status.in_(states), RecoveryCase.closed_at.is_(None),
        or_(RecoveryCase.claimed_by.is_(None), RecoveryCase.claimed_by == agent_id),
    ).values(claimed_by=None, claimed_at=None, **values)) == 1


def stop_waiting_case(tx: Tx, case_id: str, **closed: object) -> bool:
    """An approved case stopped during its waiting period: never blocked by a claim."""
    return rows_changed(tx, update(RecoveryCase).where(
        RecoveryCase.id == case_id, RecoveryCase.status == "waiting", RecoveryCase.closed_at.is_(None)
    ).values(claimed_by=None, claimed_at=None, **closed)) == 1


def start_waiting(tx: Tx, case_id: str, due_at: datetime, now: datetime, agent_id: str, reason: str) -> None:
    """Approved by enough agents: the case takes effect at `due_at`, unless cancelled or stopped first."""
    tx.execute(update(RecoveryCase).where(RecoveryCase.id == case_id).values(
        status="waiting", due_at=due_at, decided_at=now, decided_by=agent_id, decision_reason=reason))
