"""Words for what the activity page lists: outcomes and reasons — never a raw code."""

from __future__ import annotations

from bastion.catalogue import find
from bastion.i18n import N_, _

OUTCOMES = {"success": N_("Signed in"), "failure": N_("Refused"), "challenge": N_("Another step asked")}


def reason_words(code: str | None) -> str:
    """The catalogue title of a recorded code; a step status such as 'mfa_required' maps to 'mfa.required'."""
    if not code:
        return ""
    reason = find(code) or find(code.replace("_", ".", 1))
    return _(reason.title) if reason else _("Other reason")


def outcome_words(outcome: str) -> str:
    return _(OUTCOMES[outcome]) if outcome in OUTCOMES else outcome.capitalize()
