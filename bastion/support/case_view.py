"""One case as an agent judges it: the request and its evidence, who approved and who holds it, the
account's facts (sign-ins, devices, places, holds, factors), risk signals, earlier cases and their
outcomes, internal notes, the prepared rejection reasons that fit, and the actions this agent may
take now — each one not available with the reason why, in the agent's words.
Never a password, code, secret or token: none is read here.
"""

from __future__ import annotations

from typing import Any

from bastion.accounts.repo import get_account
from bastion.accounts.words import place_words
from bastion.clock import rfc3339
from bastion.geo import locate
from bastion.recovery.cases import documents_digest
from bastion.recovery.evidence import DOCUMENT_KINDS
from bastion.recovery.kinds import document_labels
from bastion.recovery.repo import documents_of
from bastion.services import Services
from bastion.support.casework import approvals_of, case_facts, case_notes, emails_of, explain, load_case
from bastion.support.queue import deadline
from bastion.support.rejection_reasons import reasons_in
from bastion.support.rules import available
from bastion.support.signals import risk_signals
from bastion.support.views import account_view, case_summary


def case_view(services: Services, case_id: str, agent_id: str, admin: bool = False) -> dict[str, Any]:
    now = services.clock.now()
    with services.db.transaction() as tx:
        case = load_case(tx, case_id)
        account = get_account(tx, case.account_id)
        labels = document_labels(case.kind)
        order = list(DOCUMENT_KINDS)
        documents = sorted(documents_of(tx, case.id), key=lambda document: order.index(document.kind))  # front, back, then the photo
        approvals = approvals_of(tx, case.id)
        facts = case_facts(tx, case, agent_id, admin)
        names = emails_of(tx, [case.claimed_by, case.decided_by, *(agent for agent, _, _ in approvals)])
        actions = {name: None if blocked is None else {"why": blocked.why, "explanation": explain(tx, blocked, case)}
                   for name, blocked in available(facts).items()}
        view = {
            **case_summary(case),
            "email": account.email,
            "ip": case.ip, "place": place_words(locate(case.ip).country) if case.ip else None,
            "age_seconds": int((now - case.created_at).total_seconds()),
            "deadline": deadline(services, case),
            "claimed_by": case.claimed_by, "claimed_by_email": names.get(case.claimed_by or ""),
            "claimed_at": rfc3339(case.claimed_at),
            "decided_by": case.decided_by, "decided_by_email": names.get(case.decided_by or ""),
            "approvals": [{"agent_id": agent, "agent_email": names.get(agent), "reason": reason, "at": rfc3339(at)}
                          for agent, reason, at in approvals],
            "approvals_required": services.settings.case_approvals_required,
            "documents": [{"id": d.id, "kind": d.kind, "label": labels[d.kind], "content_type": d.content_type,
                           "size": d.size, "sha256": d.sha256, "uploaded_at": rfc3339(d.created_at)}
                          for d in documents],
            "documents_sha256": documents_digest(tx, case.id),  # send it back with an approval
            "missing_documents": list(facts.missing) if case.closed_at is None else [],
            "documents_purged_at": rfc3339(case.purged_at),
            "own_account": case.account_id == agent_id,
            "actions": actions,
            "notes": case_notes(tx, case.id),
            "risk_signals": risk_signals(tx, services.settings, case, account, now),
            "prepared_reasons": reasons_in(tx, case.kind),
        }
    account_facts = account_view(services, case.account_id)
    view["account"] = {key: value for key, value in account_facts.items() if key != "cases"}
    view["account_ip_allowlist"] = account_facts["ip_allowlist"]
    view["previous_cases"] = [item for item in account_facts["cases"] if item["id"] != case.id]
    return view
