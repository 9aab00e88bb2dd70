"""One account's whole record as JSON, for a compliance request: the account's facts, every sign-in
attempt, every recovery case with its approvals, decisions, internal notes and document details
(never the documents themselves), holds, and the audit log with each event's seal checked.

Exporting is an audited action with its reason (the request it answers). Nothing secret is in
it: no password hash, code, secret, token or encrypted column is read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bastion.audit import record_event
from bastion.audit.models import SecurityEvent
from bastion.audit.spot_check import check_events
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.help.records import attempt_view
from bastion.recovery.models import CaseDocument, RecoveryCase
from bastion.services import Services
from bastion.signin.models import SignInAttempt
from bastion.support.casework import approvals_of, case_notes, emails_of
from bastion.support.timeline import actor_of
from bastion.support.views import account_view, case_summary

FORMAT = "bastion.account-record/1"
MAX_ROWS = 100_000  # per table; a record that would pass it says so (`truncated`)


def export_account(services: Services, account_id: str, agent_id: str, reason: str, client: Client) -> dict[str, Any]:
    now = services.clock.now()
    facts = account_view(services, account_id)
    with services.db.transaction() as tx:
        record_event(tx, now, "account.exported", account_id, client, actor_id=agent_id, reason=reason)
    with services.db.transaction() as tx:
        attempts = [attempt_view(attempt) for attempt in tx.execute(
            select(SignInAttempt).where(SignInAttempt.account_id == account_id)
            .order_by(SignInAttempt.id).limit(MAX_ROWS)).scalars()]
        cases = [_case(tx, case) for case in tx.execute(
            select(RecoveryCase).where(RecoveryCase.account_id == account_id).order_by(RecoveryCase.created_at)
        ).scalars()]
        events = list(tx.execute(select(SecurityEvent).where(SecurityEvent.account_id == account_id)
                                 .order_by(SecurityEvent.id).limit(MAX_ROWS)).scalars())
        names = emails_of(tx, (event.actor_id for event in events))
    checked = check_events(services, events)
    brand = services.settings.brand_name
    return {
        "format": FORMAT, "exported_at": rfc3339(now), "exported_by": agent_id, "reason": reason,
        "account": {key: value for key, value in facts.items() if key not in ("attempts", "cases")},
        "sign_in_attempts": attempts,
        "recovery_cases": cases,
        "audit_events": [{"id": event.id, "kind": event.kind, "at": rfc3339(event.created_at),
                          "actor": {key: value for key, value in actor_of(event, names, brand).items()
                                    if key != "words"},
                          "ip": event.ip, "data": event.data, "chain_position": event.chain_seq,
                          "seal": checked.seals[event.id]} for event in events],
        "audit_chain": checked.summary(),
        "truncated": len(attempts) == MAX_ROWS or len(events) == MAX_ROWS,
    }


def _case(tx: Any, case: RecoveryCase) -> dict[str, Any]:
    approvals = approvals_of(tx, case.id)
    names = emails_of(tx, [case.decided_by, case.claimed_by, *(agent for agent, _, _ in approvals)])
    documents = tx.execute(select(CaseDocument).where(CaseDocument.case_id == case.id)).scalars()
    return {**case_summary(case), "ip": case.ip, "purged_at": rfc3339(case.purged_at),
            "decided_by": case.decided_by, "decided_by_email": names.get(case.decided_by or ""),
            "approvals": [{"agent_id": agent, "agent_email": names.get(agent), "reason": reason, "at": rfc3339(at)}
                          for agent, reason, at in approvals],
            "internal_notes": case_notes(tx, case.id),
            "documents": [{"kind": document.kind, "content_type": document.content_type, "size": document.size,
                           "sha256": document.sha256, "uploaded_at": rfc3339(document.created_at)}
                          for document in documents]}
