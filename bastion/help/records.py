"""How a recorded sign-in attempt or refused request reads to staff (the reference search and the export)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bastion.accounts.devices import describe_agent
from bastion.accounts.words import place_words
from bastion.clock import rfc3339
from bastion.help.models import Refusal


class AttemptRecord(Protocol):
    """A sign-in attempt as the sign-in history records it (bastion.signin.attempts)."""

    @property
    def reference(self) -> str | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def identifier(self) -> str: ...

    @property
    def account_id(self) -> str | None: ...

    @property
    def method(self) -> str: ...

    @property
    def outcome(self) -> str: ...

    @property
    def code(self) -> str | None: ...

    @property
    def ip(self) -> str | None: ...

    @property
    def country(self) -> str | None: ...

    @property
    def asn_name(self) -> str | None: ...

    @property
    def user_agent(self) -> str | None: ...

    @property
    def risk(self) -> dict[str, Any] | None: ...


def attempt_view(attempt: AttemptRecord) -> dict[str, Any]:
    return {"reference": attempt.reference, "at": rfc3339(attempt.created_at), "identifier": attempt.identifier,
            "account_id": attempt.account_id, "method": attempt.method, "outcome": attempt.outcome,
            "code": attempt.code, "ip": attempt.ip, "place": place_words(attempt.country),
            "network": attempt.asn_name, "device": describe_agent(attempt.user_agent),
            "risk": attempt.risk}


def request_view(refusal: Refusal) -> dict[str, Any]:
    return {"at": rfc3339(refusal.created_at), "method": refusal.method, "path": refusal.path,
            "status": refusal.status, "ip": refusal.ip, "account_id": refusal.account_id}
