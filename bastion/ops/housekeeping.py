"""Housekeeping: delete rows whose purpose has passed. Idempotent, so every node may run it.

Each kind is kept a while after it expires, so a late request still gets the precise
answer (`flow.expired`, `token.expired`) rather than "not found".
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bastion.accounts.models import OneTimeToken
from bastion.mfa.passkeys.models import PasskeyChallenge
from bastion.services import Services
from bastion.sessions.models import Session
from bastion.signin.models import SignInFlow
from bastion.throttle.models import ThrottleCounter

KEEP_AFTER_EXPIRY = {
    "throttle_counters": timedelta(0),
    "passkey_challenges": timedelta(days=1),
    "sign_in_flows": timedelta(days=1),  # device challenges go with their flow
    "one_time_tokens": timedelta(days=7),
    "sessions": timedelta(days=30),  # ended sessions stay listable for support that long
}
_TABLES = {"throttle_counters": ThrottleCounter, "passkey_challenges": PasskeyChallenge,
           "sign_in_flows": SignInFlow, "one_time_tokens": OneTimeToken, "sessions": Session}


def sweep_expired(services: Services) -> dict[str, int]:
    """Delete what expired long enough ago; returns how many rows of each kind went."""
    now = services.clock.now()
    removed: dict[str, int] = {}
    for name, model in _TABLES.items():
        with services.db.transaction() as tx:
            removed[name] = tx.execute(
                delete(model).where(model.expires_at < now - KEEP_AFTER_EXPIRY[name])  # type: ignore[attr-defined]
            ).rowcount
    return removed
