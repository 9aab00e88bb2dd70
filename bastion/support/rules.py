"""What an agent may do with a case now, and why not when they may not: one set of rules that the
console shows (only valid actions, and the reason for the others) and the decisions enforce.

- claim: a case waiting for documents or for review, that nobody holds; not one's own account's,
  and not a case one approved already (the next approval is another agent's).
- release: the holder, or an admin for anyone's claim.
- approve: a case in review whose documents are all in, unclaimed or held by this agent, not
  already approved by them (four eyes: `case_approvals_required` different agents).
- reject: a case waiting for documents or in review, unclaimed or held by this agent.
- stop: an approved case still waiting to take effect (the owner says it was not them) — by any
  agent, at once: stopping is never blocked by a claim.
- note: any case but one's own account's.
Nobody acts on a case about their own account.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bastion.errors import BastionError, Reason

ACTIONS = ("claim", "release", "approve", "reject", "stop", "note")
CLAIMABLE = ("awaiting_documents", "in_review")
# Which refusal each reason for "not now" is, when the action is attempted anyway.
REFUSALS = {"own_account": Reason.CASE_OWN_ACCOUNT, "closed": Reason.CASE_CLOSED,
            "claimed_by_other": Reason.CASE_CLAIMED, "not_yours": Reason.CASE_CLAIMED,
            "documents_missing": Reason.CASE_NOT_READY, "approved_by_you": Reason.CASE_ALREADY_APPROVED,
            "approved": Reason.CASE_NOT_READY, "not_waiting": Reason.CASE_NOT_READY,
            "nothing_to_claim": Reason.CASE_NOT_READY, "not_claimed": Reason.CASE_NOT_READY,
            "claimed_by_you": Reason.CASE_NOT_READY}


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the rules look at: the case as it stands and who is asking."""

    status: str
    closed: bool
    agent_id: str
    agent_is_admin: bool
    account_id: str
    claimed_by: str | None
    approved_by: frozenset[str]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NotNow:
    """Why an action is not available: a key of `words.WHY_NOT` and its fields."""

    why: str
    fields: dict[str, Any]


def why_not(action: str, facts: CaseFacts) -> NotNow | None:
    """None when `action` is valid for this agent now."""
    if facts.account_id == facts.agent_id:
        return NotNow("own_account", {})
    if facts.closed and action != "note":
        return NotNow("closed", {"state": facts.status})
    holder = facts.claimed_by
    mine, others = holder == facts.agent_id, holder is not None and holder != facts.agent_id
    if action == "note":
        return None
    if action == "release":
        if holder is None:
            return NotNow("not_claimed", {})
        return NotNow("not_yours", {"agent": holder}) if others and not facts.agent_is_admin else None
    if action == "stop":
        return None if facts.status == "waiting" else NotNow("not_waiting", {})
    if facts.status == "waiting":
        return NotNow("approved", {})
    if action == "claim":
        if facts.status not in CLAIMABLE:
            return NotNow("nothing_to_claim", {})
        if mine:
            return NotNow("claimed_by_you", {})
        if facts.agent_id in facts.approved_by:
            return NotNow("approved_by_you", {})
    if others:
        return NotNow("claimed_by_other", {"agent": holder})
    if action == "approve":
        if facts.status != "in_review":  # in review: every document is in
            return NotNow("documents_missing", {"missing": list(facts.missing)})
        if facts.agent_id in facts.approved_by:
            return NotNow("approved_by_you", {})
    return None


def available(facts: CaseFacts) -> dict[str, NotNow | None]:
    return {action: why_not(action, facts) for action in ACTIONS}


def ensure_allowed(action: str, facts: CaseFacts, detail: str | None = None) -> None:
    """Raise the refusal for `action` when the rules say not now."""
    blocked = why_not(action, facts)
    if blocked is not None:
        raise BastionError(REFUSALS[blocked.why], detail=detail)
