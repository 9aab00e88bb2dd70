"""One account's whole record as JSON, for a compliance request: the account's facts, every sign-in
attempt, every recovery case with its approvals, decisions, internal notes and document details
(never the documents themselves), holds, and the audit log with each event's seal checked.

Exporting is an audited action with its reason (the request it answers). Nothing secret is in
it: no password hash, code, secret, token or encrypted column is read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.audit import repo as audit
from bastion.audit.spot_check import check_events
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.help.records import attempt_view
from bastion.recovery import repo as cases
from bastion.services import Services
from bastion.signin import attempts as sign_ins
from bastion.support.casework import Case, approvals_of, case_notes, emails_of
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
        attempts = [attempt_view(attempt) for attempt in sign_ins.account_attempts(tx, account_id, MAX_ROWS)]
        recovery_cases = [_case(tx, case) for case in cases.account_cases(tx, account_id)]
        events = audit.account_events(tx, account_id, MAX_ROWS)
        names = emails_of(tx, (event.actor_id for event in events))
    checked = check_events(services, events)
    brand = services.settings.brand_name
    return {
        "format": FORMAT, "exported_at": rfc3339(now), "exported_by": agent_id, "reason": reason,
        "account": {key: value for key, value in facts.items() if key not in ("attempts", "cases")},
        "sign_in_attempts": attempts,
        "recovery_cases": recovery_cases,
        "audit_events": [{"id": event.id, "kind": event.kind, "at": rfc3339(event.created_at),
                          "actor": {key: value for key, value in actor_of(event, names, brand).items()
                                    if key != "words"},
                          "ip": event.ip, "data": event.data, "chain_position": event.chain_seq,
                          "seal": checked.seals[event.id]} for event in events],
        "audit_chain": checked.summary(),
        "truncated": len(attempts) == MAX_ROWS or len(events) == MAX_ROWS,
    }


def _case(tx: Tx, case: Case) -> dict[str, Any]:
    approvals = approvals_of(tx, case.id)
    names = emails_of(tx, [case.decided_by, case.claimed_by, *(agent for agent, _, _ in approvals)])
    documents = cases.documents_of(tx, case.id)
    return {**case_summary(case), "ip": case.ip, "purged_at": rfc3339(case.purged_at),
            "decided_by": case.decided_by, "decided_by_email": names.get(case.decided_by or ""),
            "approvals": [{"agent_id": agent, "agent_email": names.get(agent), "reason": reason, "at": rfc3339(at)}
                          for agent, reason, at in approvals],
            "internal_notes": case_notes(tx, case.id),
            "documents": [{"kind": document.kind, "content_type": document.content_type, "size": document.size,
                           "sha256": document.sha256, "uploaded_at": rfc3339(document.created_at)}
                          for document in documents]}
