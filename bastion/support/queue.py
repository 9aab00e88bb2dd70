"""The case queue: filtered, sorted by age, paged with a cursor, with counts by state.

Pages are cut by keyset (the last case's opening time and id, in an opaque cursor), so a case
that leaves the queue while an agent reads it never makes another one skip a page. Each case
carries its age and its deadline: when its documents are due (then it expires), or when an
approved case takes effect.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from bastion.accounts.models import Account
from bastion.clock import client_moment, rfc3339
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.recovery.cases import OPEN_STATES
from bastion.recovery.kinds import KINDS
from bastion.recovery.models import RecoveryCase
from bastion.services import Services
from bastion.support.casework import Case
from bastion.support.models import CaseApproval

STATES = ("awaiting_documents", "in_review", "waiting", "completed", "rejected", "cancelled", "expired")
ASSIGNED = ("me", "unassigned")
PER_PAGE = 50
MAX_PER_PAGE = 100


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
    order = (RecoveryCase.created_at.desc(), RecoveryCase.id.desc()) if wanted.newest_first else \
        (RecoveryCase.created_at, RecoveryCase.id)
    holder = aliased(Account)
    approvals = (select(func.count()).select_from(CaseApproval).where(CaseApproval.case_id == RecoveryCase.id)
                 .correlate(RecoveryCase).scalar_subquery())
    query = (select(RecoveryCase, Account.email, holder.email, approvals)
             .join(Account, Account.id == RecoveryCase.account_id)
             .outerjoin(holder, holder.id == RecoveryCase.claimed_by)
             .where(*conditions).order_by(*order))
    if cursor:
        at, case_id = _position(cursor)
        later = or_(RecoveryCase.created_at > at, and_(RecoveryCase.created_at == at, RecoveryCase.id > case_id))
        earlier = or_(RecoveryCase.created_at < at, and_(RecoveryCase.created_at == at, RecoveryCase.id < case_id))
        query = query.where(earlier if wanted.newest_first else later)
    with services.db.transaction() as tx:
        rows = tx.execute(query.limit(limit + 1)).all()
        total = tx.execute(select(func.count()).select_from(RecoveryCase).where(*conditions)).scalar_one()
        counts = queue_counts(tx, agent_id)
    more = len(rows) > limit
    rows = rows[:limit]
    cases = [queue_entry(services, case, email, holder_email, approved, now)
             for case, email, holder_email, approved in rows]
    last = rows[-1][0] if rows else None
    return QueuePage(cases, _cursor(last.created_at, last.id) if more and last else None, total, counts)


def _conditions(wanted: QueueFilter, agent_id: str, now: datetime) -> list[Any]:
    conditions: list[Any] = []
    if wanted.status:
        conditions.append(RecoveryCase.status == wanted.status)
    if wanted.kind:
        conditions.append(RecoveryCase.kind == wanted.kind)
    if wanted.assigned == "me":
        conditions.append(RecoveryCase.claimed_by == agent_id)
    elif wanted.assigned == "unassigned":
        conditions.extend([RecoveryCase.claimed_by.is_(None), RecoveryCase.closed_at.is_(None)])
    if wanted.min_age_hours:
        conditions.append(RecoveryCase.created_at <= now - timedelta(hours=wanted.min_age_hours))
    return conditions


def queue_counts(tx: Any, agent_id: str) -> dict[str, int]:
    """Cases in each state, and the open ones held by this agent and by nobody."""
    counts = {state: 0 for state in STATES}
    counts.update(dict(tx.execute(select(RecoveryCase.status, func.count()).group_by(RecoveryCase.status)).all()))
    open_cases = select(func.count()).select_from(RecoveryCase).where(RecoveryCase.closed_at.is_(None))
    counts["mine"] = tx.execute(open_cases.where(RecoveryCase.claimed_by == agent_id)).scalar_one()
    counts["unassigned"] = tx.execute(open_cases.where(RecoveryCase.claimed_by.is_(None),
                                                       RecoveryCase.status.in_(("awaiting_documents", "in_review")))
                                      ).scalar_one()
    return counts


def deadline(services: Services, case: Case) -> dict[str, Any] | None:
    """What the case waits for and until when: the documents (then it expires), or taking effect."""
    if case.status == "awaiting_documents":
        return {"kind": "documents_due",
                "at": rfc3339(case.created_at + timedelta(days=services.settings.case_documents_days))}
    if case.status == "waiting" and case.due_at is not None:
        return {"kind": "takes_effect", "at": rfc3339(case.due_at)}
    return None


def queue_entry(services: Services, case: RecoveryCase, email: str | None, holder_email: str | None,
                approvals: int, now: datetime) -> dict[str, Any]:
    return {"id": case.id, "account_id": case.account_id, "email": email, "kind": case.kind, "status": case.status,
            "created_at": rfc3339(case.created_at), "submitted_at": rfc3339(case.submitted_at),
            "due_at": rfc3339(case.due_at), "closed_at": rfc3339(case.closed_at),
            "age_seconds": int((now - case.created_at).total_seconds()),
            "deadline": deadline(services, case),
            "claimed_by": case.claimed_by, "claimed_by_email": holder_email, "claimed_at": rfc3339(case.claimed_at),
            "approvals": approvals, "approvals_required": services.settings.case_approvals_required,
            "open": case.status in OPEN_STATES}
