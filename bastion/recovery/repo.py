"""The recovery cases' statements the support console runs: finding a case and its documents, the
conditional UPDATEs that claim, release and decide it (each decides between agents acting at once:
docs/design/case-decisions.md), and the reads of its queue, search and risk signals."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, func, or_, select, update
from sqlalchemy.orm import Session as Tx

from bastion.recovery.models import CaseDocument, RecoveryCase
from bastion.store.changes import rows_changed

UNDER_REVIEW = ("awaiting_documents", "in_review")


def find_case(tx: Tx, case_id: str) -> RecoveryCase | None:
    return tx.get(RecoveryCase, case_id)


def case_account_id(reader: Tx | Connection, case_id: str) -> str | None:
    return reader.execute(select(RecoveryCase.account_id).where(RecoveryCase.id == case_id)).scalar_one_or_none()


def find_document(tx: Tx, document_id: str) -> CaseDocument | None:
    return tx.get(CaseDocument, document_id)


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


def account_cases(tx: Tx, account_id: str, limit: int | None = None, newest_first: bool = False) -> list[RecoveryCase]:
    """The account's cases by when they were opened."""
    order = RecoveryCase.created_at.desc() if newest_first else RecoveryCase.created_at
    return list(tx.execute(select(RecoveryCase).where(RecoveryCase.account_id == account_id)
                           .order_by(order).limit(limit)).scalars())


def cases_opened_from(tx: Tx, address: str, limit: int, prefix: bool = False) -> list[RecoveryCase]:
    """Cases asked for from this address, latest first; with `prefix`, from any address that starts
    with it (a network's leading octets or groups)."""
    where = RecoveryCase.ip.like(address + "%") if prefix else RecoveryCase.ip == address
    return list(tx.execute(select(RecoveryCase).where(where).order_by(RecoveryCase.created_at.desc())
                           .limit(limit)).scalars())


def count_open_cases(tx: Tx, account_ids: Collection[str]) -> dict[str, int]:
    """Account id → how many of its cases are open (accounts with none are left out)."""
    return dict(tx.execute(select(RecoveryCase.account_id, func.count()).where(
        RecoveryCase.account_id.in_(list(account_ids)), RecoveryCase.closed_at.is_(None))
        .group_by(RecoveryCase.account_id)).all())


def count_account_cases(tx: Tx, account_id: str, states: Collection[str], since: datetime, other_than: str) -> int:
    """The account's cases in these states opened since then, but for `other_than`."""
    return tx.execute(select(func.count()).select_from(RecoveryCase).where(
        RecoveryCase.account_id == account_id, RecoveryCase.id != other_than,
        RecoveryCase.status.in_(states), RecoveryCase.created_at >= since)).scalar_one()


def count_by_state(tx: Tx) -> dict[str, int]:
    """Cases in each state (states with none are left out)."""
    return dict(tx.execute(select(RecoveryCase.status, func.count()).group_by(RecoveryCase.status)).all())


_OPEN_CASES = select(func.count()).select_from(RecoveryCase).where(RecoveryCase.closed_at.is_(None))


def count_held_by(tx: Tx, agent_id: str) -> int:
    """Open cases this agent has claimed."""
    return tx.execute(_OPEN_CASES.where(RecoveryCase.claimed_by == agent_id)).scalar_one()


def count_unclaimed(tx: Tx) -> int:
    """Open cases under review that no agent has claimed."""
    return tx.execute(_OPEN_CASES.where(RecoveryCase.claimed_by.is_(None), RecoveryCase.status.in_(UNDER_REVIEW))
                      ).scalar_one()


@dataclass(frozen=True, slots=True)
class CaseColumns:
    """A case's columns the support console's queue reads in its own statement, with its owner's and
    holder's addresses and its approvals (a page in one round trip). Never the link's hash. Only
    read: changes go through the functions above."""

    table: FromClause
    id: ColumnElement[Any]
    account_id: ColumnElement[Any]
    kind: ColumnElement[Any]
    status: ColumnElement[Any]
    created_at: ColumnElement[Any]
    submitted_at: ColumnElement[Any]
    due_at: ColumnElement[Any]
    closed_at: ColumnElement[Any]
    claimed_by: ColumnElement[Any]
    claimed_at: ColumnElement[Any]


_CASES = RecoveryCase.__table__
COLUMNS = CaseColumns(_CASES, _CASES.c.id, _CASES.c.account_id, _CASES.c.kind, _CASES.c.status, _CASES.c.created_at,
                      _CASES.c.submitted_at, _CASES.c.due_at, _CASES.c.closed_at, _CASES.c.claimed_by,
                      _CASES.c.claimed_at)
