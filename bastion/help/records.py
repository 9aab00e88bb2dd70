"""How a recorded sign-in attempt or refused request reads to staff (the reference search and the export)."""

from __future__ import annotations

from typing import Any

from bastion.accounts.devices import describe_agent
from bastion.clock import rfc3339
from bastion.help.models import Refusal
from bastion.i18n.places import place_words
from bastion.signin.models import SignInAttempt


def attempt_view(attempt: SignInAttempt) -> dict[str, Any]:
    return {"reference": attempt.reference, "at": rfc3339(attempt.created_at), "identifier": attempt.identifier,
            "account_id": attempt.account_id, "method": attempt.method, "outcome": attempt.outcome,
            "code": attempt.code, "ip": attempt.ip, "place": place_words(attempt.country),
            "network": attempt.asn_name, "device": describe_agent(attempt.user_agent),
            "risk": attempt.risk}


def request_view(refusal: Refusal) -> dict[str, Any]:
    return {"at": rfc3339(refusal.created_at), "method": refusal.method, "path": refusal.path,
            "status": refusal.status, "ip": refusal.ip, "account_id": refusal.account_id}
