"""Words for what the activity page lists: outcomes and reasons — never a raw code."""

from __future__ import annotations

from bastion.catalogue import find

OUTCOMES = {"success": "Signed in", "failure": "Refused", "challenge": "Another step asked"}


def reason_words(code: str | None) -> str:
    """The catalogue title of a recorded code; a step status such as 'mfa_required' maps to 'mfa.required'."""
    if not code:
        return ""
    reason = find(code) or find(code.replace("_", ".", 1))
    return reason.title if reason else "Other reason"


def outcome_words(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome.capitalize())
