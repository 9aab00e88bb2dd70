"""Support decisions on recovery cases (requirements §16, §28, §33): approve, reject or stop, with a reason.

Each decision takes the case by one conditional UPDATE that locks its row; what is possible when
is in bastion.support.rules. How it stays race-safe: docs/design/case-decisions.md.
"""

from __future__ import annotations

import hmac

from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import get_account
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.guard.passwords import lift_pause
from bastion.i18n import N_, _
from bastion.recovery import repo as cases
from bastion.recovery.cases import documents_digest, notify_case, open_case_id
from bastion.recovery.kinds import due_at as case_due_at
from bastion.services import Services
from bastion.support import repo
from bastion.support.casework import Case, check, load_case
from bastion.support.rejection_reasons import prepared_text

RACED = N_("Another decision on this case came first; reload it.")


def _refuse_raced(tx: Tx, action: str, case: Case, agent_id: str) -> BastionError:
    """After a lost race: the rules' reason as things stand now, or a plain "came first"."""
    tx.refresh(case)
    check(tx, action, case, agent_id)
    return BastionError(Reason.CASE_NOT_READY, detail=_(RACED))


def approve_case(services: Services, case_id: str, agent_id: str, reason: str, client: Client,
                 seen_documents: str | None = None) -> str:
    """Record this agent's approval of the documents as they stand — or, given the digest of those the
    agent reviewed (`seen_documents`), only if they are still those; returns the case's status
    afterwards ("in_review" or "waiting")."""
    now = services.clock.now()
    required = services.settings.case_approvals_required
    with services.db.transaction() as tx:
        case = load_case(tx, case_id)
        check(tx, "approve", case, agent_id)
        if not cases.take_case(tx, case.id, agent_id, ("in_review",)):
            raise _refuse_raced(tx, "approve", case, agent_id)
        documents = documents_digest(tx, case.id)  # read after taking the row: no replacement in between
        if seen_documents is not None and not hmac.compare_digest(seen_documents, documents):
            raise BastionError(Reason.CASE_DOCUMENTS_CHANGED)
        # This agent's approval of documents since replaced no longer counts: this one takes its place.
        repo.drop_earlier_approval(tx, case.id, agent_id, documents)
        if not repo.add_approval(tx, case.id, agent_id, reason, now, documents):
            raise BastionError(Reason.CASE_ALREADY_APPROVED)
        approvals = repo.count_approvals(tx, case.id, documents)
        record_event(tx, now, "case.approved", case.account_id, client, actor_id=agent_id, case_id=case.id,
                     case_kind=case.kind, reason=reason, approvals=approvals, required=required,
                     documents_sha256=documents)
        if approvals < required:
            return "in_review"
        account = get_account(tx, case.account_id)
        due_at = case_due_at(services.settings, case.kind, account, now)
        cases.start_waiting(tx, case.id, due_at, now, agent_id, reason)
        notify_case(services, tx, case, account, "case_approved", due_at=rfc3339(due_at))
        return "waiting"


def reject_case(services: Services, case_id: str, agent_id: str, reason: str | None, client: Client,
                prepared_reason: str | None = None, stop: bool = False) -> str:
    """Close the case with a reason the account holder reads — the agent's text, or else the prepared
    reason's (bastion.support.rejection_reasons): "rejected" before approval, or, asked for as such
    (`stop`), "stopped" during the waiting period. Returns which. A rejection of a case approved
    meanwhile is refused, never turned into a stop the agent did not ask for."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        case = load_case(tx, case_id)
        action = "stop" if stop and case.status == "waiting" else "reject"
        check(tx, action, case, agent_id)
        if not reason:
            if not prepared_reason:
                raise BastionError(Reason.REQUEST_INVALID, detail=_("Write the reason the owner will read."))
            reason = prepared_text(tx, prepared_reason, case.kind)
        closed = dict(status="rejected", closed_at=now, decided_at=now, decided_by=agent_id, decision_reason=reason)
        if action == "stop":  # never blocked by a claim: the owner's word comes first
            taken = cases.stop_waiting_case(tx, case.id, **closed)
        else:
            taken = cases.take_case(tx, case.id, agent_id, cases.UNDER_REVIEW, **closed)
        if not taken:
            raise _refuse_raced(tx, action, case, agent_id)
        extra = {"prepared_reason": prepared_reason} if prepared_reason else {}
        record_event(tx, now, "case.stopped" if action == "stop" else "case.rejected", case.account_id, client,
                     actor_id=agent_id, case_id=case.id, case_kind=case.kind, reason=reason, **extra)
        notify_case(services, tx, case, get_account(tx, case.account_id), "case_rejected", reason=reason)
        return "stopped" if action == "stop" else "rejected"


def approve_unfreeze(services: Services, account_id: str, agent_id: str, reason: str, client: Client) -> str:
    """Approve the account's open unfreeze request (its documents must be in); returns the case's status."""
    with services.db.transaction() as tx:
        case_id = open_case_id(tx, account_id, "unfreeze")
    if case_id is None:
        raise BastionError(Reason.CASE_NOT_READY,
                           detail=_("The owner has not asked for this yet: they start an unfreeze request (with "
                                    "their password) and upload identity documents first."))
    return approve_case(services, case_id, agent_id, reason, client)


def unlock_account(services: Services, account_id: str, agent_id: str, reason: str, client: Client) -> None:
    """Lift the wrong-password pauses on the account's email and devices (not the 100-failure
    switch-off: that needs a reset)."""
    with services.db.transaction() as tx:
        email = get_account(tx, account_id).email
    if not lift_pause(services, email):
        raise BastionError(Reason.REQUEST_INVALID, detail=_("Password sign-in is switched off after too many wrong "
                           "passwords; only a password reset by the owner switches it back on."))
    with services.db.transaction() as tx:  # on the record only once it happened
        record_event(tx, services.clock.now(), "account.unlocked", account_id, client, actor_id=agent_id,
                     reason=reason)
