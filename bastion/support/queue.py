"""The case queue: filtered, sorted by age, paged with a cursor, with counts by state.

Pages are cut by keyset (the last case's opening time and id, in an opaque cursor), so a case
that leaves the queue while an agent reads it never makes another one skip a page. Each case
carries its age and its deadline: when its documents are due (then it expires), or when an
approved case takes effect.

A page is one statement: recovery and the accounts hand over the columns of their rows it reads
(the case, its owner's and holder's addresses), and the console counts its own approvals in it.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, FromClause, and_, func, or_, select
from sqlalchemy.orm import Session as Tx

from bastion.accounts import repo as accounts
from bastion.clock import client_moment, rfc3339
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.recovery import repo as cases
from bastion.recovery.cases import OPEN_STATES
from bastion.recovery.kinds import KINDS
from bastion.services import Services
from bastion.support import repo

STATES = ("awaiting_documents", "in_review", "waiting", "completed", "rejected", "cancelled", "expired")
ASSIGNED = ("me", "unassigned")
PER_PAGE = 50
MAX_PER_PAGE = 100


class QueuedCase(Protocol):
    """A case as the queue lists it (a row of `bastion.recovery`, read with `CaseColumns`)."""

    @property
    def id(self) -> str: ...

    @property
    def account_id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def submitted_at(self) -> datetime | None: ...

    @property
    def due_at(self) -> datetime | None: ...

    @property
    def closed_at(self) -> datetime | None: ...

    @property
    def claimed_by(self) -> str | None: ...

    @property
    def claimed_at(self) -> datetime | None: ...


class CaseColumns(Protocol):
    """What the queue's statement reads of the cases (bastion.recovery.repo), by the names of `QueuedCase`."""

    @property
    def table(self) -> FromClause: ...

    @property
    def id(self) -> ColumnElement[Any]: ...

    @property
    def account_id(self) -> ColumnElement[Any]: ...

    @property
    def kind(self) -> ColumnElement[Any]: ...

    @property
    def status(self) -> ColumnElement[Any]: ...

    @property
    def created_at(self) -> ColumnElement[Any]: ...

    @property
    def submitted_at(self) -> ColumnElement[Any]: ...

    @property
    def due_at(self) -> ColumnElement[Any]: ...

    @property
    def closed_at(self) -> ColumnElement[Any]: ...

    @property
    def claimed_by(self) -> ColumnElement[Any]: ...

    @property
    def claimed_at(self) -> ColumnElement[Any]: ...


class AccountColumns(Protocol):
    """What the queue's statement reads of the accounts (bastion.accounts.repo): the case owner's and
    holder's addresses, the holder's from a second copy of the table."""

    @property
    def table(self) -> FromClause: ...

    @property
    def id(self) -> ColumnElement[Any]: ...

    @property
    def email(self) -> ColumnElement[Any]: ...

    def aliased(self, name: str) -> AccountColumns: ...


CASE: CaseColumns = cases.COLUMNS
OWNER: AccountColumns = accounts.COLUMNS
HOLDER: AccountColumns = OWNER.aliased("holder")
_LISTED = (CASE.id, CASE.account_id, CASE.kind, CASE.status, CASE.created_at, CASE.submitted_at, CASE.due_at,
           CASE.closed_at, CASE.claimed_by, CASE.claimed_at)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: str | None = None  # one state; None: every state
    kind: str | None = None
    assigned: str | None = None  # "me", "unassigned" or None
    min_age_hours: int | None = None  # only cases opened at least this long ago
    newest_first: bool = False

    def __post_init__(self) -> None:
        for value, allowed, name in ((self.status, STATES, "status"), (self.kind, tuple(KINDS), "kind"),
                                     (self.assigned, ASSIGNED, "assigned")):
            if value is not None and value not in allowed:
                raise BastionError(Reason.REQUEST_INVALID, detail=_("`%(field)s` must be one of: %(values)s.")
                                   % {"field": name, "values": ", ".join(allowed)})
        if self.min_age_hours is not None and not 0 <= self.min_age_hours <= 24 * 366:
            raise BastionError(Reason.REQUEST_INVALID, detail=_("`min_age_hours` must be between 0 and 8784."))


@dataclass(frozen=True, slots=True)
class QueuePage:
    cases: list[dict[str, Any]]
    next_cursor: str | None
    total: int
    counts: dict[str, int]


def _cursor(created_at: datetime, case_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{case_id}".encode()).decode().rstrip("=")


def _position(cursor: str) -> tuple[datetime, str]:
    try:
        text = base64.urlsafe_b64decode(cursor[:200] + "=" * (-len(cursor[:200]) % 4)).decode()
        moment, case_id = text.split("|", 1)
        at = datetime.fromisoformat(moment)
        if at.tzinfo is None:
            raise ValueError(moment)
        return client_moment(at), case_id[:64]
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BastionError(Reason.REQUEST_INVALID, detail=_("`cursor` is not one this queue gave out.")) from None


def list_cases(services: Services, agent_id: str, wanted: QueueFilter = QueueFilter(), cursor: str | None = None,
               limit: int = PER_PAGE) -> QueuePage:
    now = services.clock.now()
    limit = max(1, min(limit, MAX_PER_PAGE))
    conditions = _conditions(wanted, agent_id, now)
    order = (CASE.created_at.desc(), CASE.id.desc()) if wanted.newest_first else (CASE.created_at, CASE.id)
    approvals = repo.approvals_counted(CASE.id, CASE.table)
    query = (select(*_LISTED, OWNER.email.label("owner_email"), HOLDER.email.label("holder_email"),
                    approvals.label("approvals"))
             .select_from(CASE.table)
             .join(OWNER.table, OWNER.id == CASE.account_id)
             .outerjoin(HOLDER.table, HOLDER.id == CASE.claimed_by)
             .where(*conditions).order_by(*order))
    if cursor:
        at, case_id = _position(cursor)
        later = or_(CASE.created_at > at, and_(CASE.created_at == at, CASE.id > case_id))
        earlier = or_(CASE.created_at < at, and_(CASE.created_at == at, CASE.id < case_id))
        query = query.where(earlier if wanted.newest_first else later)
    with services.db.transaction() as tx:
        rows = tx.execute(query.limit(limit + 1)).all()
        total = tx.execute(select(func.count()).select_from(CASE.table).where(*conditions)).scalar_one()
        counts = queue_counts(tx, agent_id)
    more = len(rows) > limit
    rows = rows[:limit]
    entries = [queue_entry(services, row, row.owner_email, row.holder_email, row.approvals, now) for row in rows]
    last = rows[-1] if rows else None
    return QueuePage(entries, _cursor(last.created_at, last.id) if more and last else None, total, counts)


def _conditions(wanted: QueueFilter, agent_id: str, now: datetime) -> list[Any]:
    conditions: list[Any] = []
    if wanted.status:
        conditions.append(CASE.status == wanted.status)
    if wanted.kind:
        conditions.append(CASE.kind == wanted.kind)
    if wanted.assigned == "me":
        conditions.append(CASE.claimed_by == agent_id)
    elif wanted.assigned == "unassigned":
        conditions.extend([CASE.claimed_by.is_(None), CASE.closed_at.is_(None)])
    if wanted.min_age_hours:
        conditions.append(CASE.created_at <= now - timedelta(hours=wanted.min_age_hours))
    return conditions


def queue_counts(tx: Tx, agent_id: str) -> dict[str, int]:
    """Cases in each state, and the open ones held by this agent and by nobody."""
    counts = {state: 0 for state in STATES}
    counts.update(cases.count_by_state(tx))
    counts["mine"] = cases.count_held_by(tx, agent_id)
    counts["unassigned"] = cases.count_unclaimed(tx)
    return counts


def deadline(services: Services, case: QueuedCase) -> dict[str, Any] | None:
    """What the case waits for and until when: the documents (then it expires), or taking effect."""
    if case.status == "awaiting_documents":
        return {"kind": "documents_due",
                "at": rfc3339(case.created_at + timedelta(days=services.settings.case_documents_days))}
    if case.status == "waiting" and case.due_at is not None:
        return {"kind": "takes_effect", "at": rfc3339(case.due_at)}
    return None


def queue_entry(services: Services, case: QueuedCase, email: str | None, holder_email: str | None,
                approvals: int, now: datetime) -> dict[str, Any]:
    return {"id": case.id, "account_id": case.account_id, "email": email, "kind": case.kind, "status": case.status,
            "created_at": rfc3339(case.created_at), "submitted_at": rfc3339(case.submitted_at),
            "due_at": rfc3339(case.due_at), "closed_at": rfc3339(case.closed_at),
            "age_seconds": int((now - case.created_at).total_seconds()),
            "deadline": deadline(services, case),
            "claimed_by": case.claimed_by, "claimed_by_email": holder_email, "claimed_at": rfc3339(case.claimed_at),
            "approvals": approvals, "approvals_required": services.settings.case_approvals_required,
            "open": case.status in OPEN_STATES}
