"""Support decisions on recovery cases (REQUIREMENTS 16, 28, 33): approve or reject, with a reason.

Approval needs the documents in and, when `case_approvals_required` is 2 or more, that many
different agents. The last approval starts the waiting period (bastion.recovery.kinds: 2FA reset
`mfa_reset_wait_hours`, IP allowlist reset `allowlist_reset_wait_hours`; an unfreeze
`unfreeze_min_hours` after the freeze at the earliest). Nobody decides their own account's case.
Every decision is audited with the agent's id and emailed to the account, with a cancel link.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bastion.accounts.repo import get_account
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.errors import BastionError
from bastion.guard.passwords import lift_pause
from bastion.recovery.cases import close_case, notify_case, open_case_id
from bastion.recovery.kinds import due_at as case_due_at
from bastion.services import Services
from bastion.store.models import CaseApproval, RecoveryCase


def _case(tx, case_id: str, agent_id: str) -> RecoveryCase:  # type: ignore[no-untyped-def]
    case = tx.get(RecoveryCase, case_id) if len(case_id) <= 64 else None
    if case is None:
        raise BastionError("resource.not_found", detail="No case with this id.")
    if case.account_id == agent_id:
        raise BastionError("case.own_account")
    if case.closed_at is not None:
        raise BastionError("case.closed")
    return case


def approve_case(services: Services, case_id: str, agent_id: str, reason: str, client: Client) -> str:
    """Record this agent's approval; returns the case's status afterwards ("in_review" or "waiting")."""
    now = services.clock.now()
    required = services.settings.case_approvals_required
    with services.db.transaction() as tx:
        case = _case(tx, case_id, agent_id)
        if case.status != "in_review":
            raise BastionError("case.not_ready", detail="Only a case with all its documents can be approved.")
        try:
            with tx.begin_nested():
                tx.add(CaseApproval(case_id=case.id, agent_id=agent_id, reason=reason, created_at=now))
        except IntegrityError:
            raise BastionError("case.already_approved") from None
        approvals = tx.execute(select(func.count()).select_from(CaseApproval)
                               .where(CaseApproval.case_id == case.id)).scalar_one()
        record_event(tx, now, "case.approved", case.account_id, client, actor_id=agent_id, case_id=case.id,
                     case_kind=case.kind, reason=reason, approvals=approvals, required=required)
        if approvals < required:
            return "in_review"
        account = get_account(tx, case.account_id)
        due_at = case_due_at(services.settings, case.kind, account, now)
        started = tx.execute(update(RecoveryCase).where(RecoveryCase.id == case.id,
                                                        RecoveryCase.status == "in_review").values(
            status="waiting", due_at=due_at, decided_at=now, decided_by=agent_id, decision_reason=reason)).rowcount
        if not started:
            raise BastionError("case.not_ready", detail="Another decision on this case came first.")
        notify_case(services, tx, case, account, "case_approved", due_at=rfc3339(due_at))
        return "waiting"


def reject_case(services: Services, case_id: str, agent_id: str, reason: str, client: Client) -> None:
    """Close an open case (also during the waiting period); the reason is sent to the account."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        case = _case(tx, case_id, agent_id)
        if not close_case(tx, case.id, now, "rejected", ("awaiting_documents", "in_review", "waiting"),
                          decided_at=now, decided_by=agent_id, decision_reason=reason):
            raise BastionError("case.closed")
        record_event(tx, now, "case.rejected", case.account_id, client, actor_id=agent_id, case_id=case.id,
                     case_kind=case.kind, reason=reason)
        notify_case(services, tx, case, get_account(tx, case.account_id), "case_rejected", reason=reason)


def approve_unfreeze(services: Services, account_id: str, agent_id: str, reason: str, client: Client) -> str:
    """Approve the account's open unfreeze request (its documents must be in); returns the case's status."""
    with services.db.transaction() as tx:
        case_id = open_case_id(tx, account_id, "unfreeze")
    if case_id is None:
        raise BastionError("case.not_ready", detail="The owner has not asked for this yet: they start an unfreeze "
                           "request (with their password) and upload identity documents first.")
    return approve_case(services, case_id, agent_id, reason, client)


def unlock_account(services: Services, account_id: str, agent_id: str, reason: str, client: Client) -> None:
    """Lift the wrong-password pauses on the account's email and devices (not the 100-failure
    switch-off: that needs a reset)."""
    with services.db.transaction() as tx:
        account = get_account(tx, account_id)
        email = account.email
        record_event(tx, services.clock.now(), "account.unlocked", account.id, client, actor_id=agent_id,
                     reason=reason)
    if not lift_pause(services, email):
        raise BastionError("request.invalid", detail="Password sign-in is switched off after too many wrong "
                           "passwords; only a password reset by the owner switches it back on.")
