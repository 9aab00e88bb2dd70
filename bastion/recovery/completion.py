"""Scheduled recovery work: approved cases take effect when their wait ends; stale cases expire;
documents of closed cases are purged (requirements §16, §28).

Any number of workers may run this at once. Due cases are picked with `FOR UPDATE SKIP LOCKED`
on PostgreSQL so workers share them out, and each case takes effect in the same transaction as
the conditional UPDATE that closes it — a case whose UPDATE matched no row was done by
someone else. Exactly once, whatever the timing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import get_account
from bastion.accounts.security_change import security_changed
from bastion.accounts.status import lift_freeze
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.mfa.registry import METHODS
from bastion.recovery.allowlist_reset import clear_allowlist_in
from bastion.recovery.cases import close_case, notify_case
from bastion.recovery.kinds import hold_hours
from bastion.recovery.models import CaseDocument, RecoveryCase
from bastion.recovery.owner import CaseOwner
from bastion.services import Services
from bastion.sessions.holds import WITHDRAWAL, place_hold
from bastion.sessions.revocation import revoke_sessions
from bastion.store.changes import rows_changed

log = logging.getLogger("bastion.recovery")


def run_scheduled(services: Services, batch: int = 20) -> dict[str, int]:
    """One pass of everything due; returns how many of each were handled by this caller."""
    return {
        "completed": complete_due_cases(services, batch),
        "expired": expire_stale_cases(services),
        "purged": purge_documents(services),
    }


def complete_due_cases(services: Services, batch: int = 20) -> int:
    """Complete up to `batch` due cases, one transaction each; returns how many this caller completed."""
    completed = 0
    for _ in range(batch):
        outcome = _complete_next(services)
        if outcome is None:
            break
        completed += outcome
    return completed


def _complete_next(services: Services) -> int | None:
    """1 if this caller completed a case, 0 if another worker got there first, None if none is due."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        query = (select(RecoveryCase).where(RecoveryCase.status == "waiting", RecoveryCase.due_at <= now)
                 .order_by(RecoveryCase.due_at).limit(1))
        if tx.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # other workers take the next case meanwhile
        case = tx.execute(query).scalar_one_or_none()
        if case is None:
            return None
        if not close_case(tx, case.id, now, "completed", ("waiting",)):
            return 0
        account = get_account(tx, case.account_id)
        effect = _EFFECTS[case.kind](services, tx, account, case)
        until = place_hold(tx, now, account.id, WITHDRAWAL, f"{case.kind}_completed",
                           timedelta(hours=hold_hours(services.settings, case.kind)))
        record_event(tx, now, "case.completed", account.id, client=None, actor_id=None, case_id=case.id,
                     case_kind=case.kind, hold_until=rfc3339(until), **effect)
        notify_case(services, tx, case, account, "case_completed", hold_until=rfc3339(until), **effect)
        return 1


def _remove_second_factors(services: Services, tx: Tx, account: CaseOwner, case: RecoveryCase) -> dict[str, int]:
    """Every registered method's credentials go; trusted devices lose their trust with them (their
    fingerprint changes); sessions and sign-ins in progress end now."""
    now = services.clock.now()
    removed = METHODS.remove_all(tx, account.id, now)
    ended = revoke_sessions(tx, now, account.id, "mfa_reset")
    security_changed(tx, account.id, now)
    return {**removed, "sessions_ended": ended}


def _unfreeze(services: Services, tx: Tx, account: CaseOwner, case: RecoveryCase) -> dict[str, int]:
    return {"unfrozen": lift_freeze(tx, account.id, services.clock.now())}


def _clear_allowlist(services: Services, tx: Tx, account: CaseOwner, case: RecoveryCase) -> dict[str, int]:
    removed = clear_allowlist_in(tx, services.clock.now(), account, None, via="recovery_case", case_id=case.id)
    return {"networks_removed": len(removed)}


_EFFECTS = {"mfa_reset": _remove_second_factors, "unfreeze": _unfreeze, "allowlist_reset": _clear_allowlist}


def expire_stale_cases(services: Services) -> int:
    """Cases still without their documents after `case_documents_days` close as expired."""
    now = services.clock.now()
    cutoff = now - timedelta(days=services.settings.case_documents_days)
    with services.db.transaction() as tx:
        stale = list(tx.execute(select(RecoveryCase.id, RecoveryCase.account_id).where(
            RecoveryCase.status == "awaiting_documents", RecoveryCase.created_at < cutoff)))
        expired = 0
        for case_id, account_id in stale:
            if close_case(tx, case_id, now, "expired", ("awaiting_documents",)):
                record_event(tx, now, "case.expired", account_id, case_id=case_id)
                expired += 1
        return expired


def purge_documents(services: Services) -> int:
    """Evidence is kept `evidence_retention_days` after its case closes, then deleted for good."""
    now = services.clock.now()
    cutoff = now - timedelta(days=services.settings.evidence_retention_days)
    with services.db.transaction() as tx:
        closed = list(tx.execute(select(RecoveryCase.id, RecoveryCase.account_id).where(
            RecoveryCase.closed_at.is_not(None), RecoveryCase.closed_at <= cutoff, RecoveryCase.purged_at.is_(None))))
        for case_id, account_id in closed:
            removed = rows_changed(tx, delete(CaseDocument).where(CaseDocument.case_id == case_id))
            tx.execute(update(RecoveryCase).where(RecoveryCase.id == case_id).values(purged_at=now))
            record_event(tx, now, "case.documents_purged", account_id, case_id=case_id, documents=removed)
        return len(closed)
