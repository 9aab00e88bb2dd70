"""Housekeeping: delete rows whose purpose has passed. Idempotent, so every node may run it.

Each kind is kept a while after it expires, so a late request still gets the precise
answer (`flow.expired`, `token.expired`) rather than "not found".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import delete_expired_tokens
from bastion.mfa.passkeys.repo import delete_expired_challenges
from bastion.services import Services
from bastion.sessions.repo import delete_expired_sessions
from bastion.signin.flow import delete_expired_flows
from bastion.throttle.database import delete_expired_counters

KEEP_AFTER_EXPIRY = {
    "throttle_counters": timedelta(0),
    "passkey_challenges": timedelta(days=1),
    "sign_in_flows": timedelta(days=1),  # device challenges go with their flow
    "one_time_tokens": timedelta(days=7),
    "sessions": timedelta(days=30),  # ended sessions stay listable for support that long
}
# Each kind is deleted by the feature that owns it: (transaction, expired before) → how many went.
_DELETERS: dict[str, Callable[[Tx, datetime], int]] = {
    "throttle_counters": delete_expired_counters, "passkey_challenges": delete_expired_challenges,
    "sign_in_flows": delete_expired_flows, "one_time_tokens": delete_expired_tokens,
    "sessions": delete_expired_sessions,
}


def sweep_expired(services: Services) -> dict[str, int]:
    """Delete what expired long enough ago; returns how many rows of each kind went."""
    now = services.clock.now()
    removed: dict[str, int] = {}
    for name, delete_expired in _DELETERS.items():
        with services.db.transaction() as tx:
            removed[name] = delete_expired(tx, now - KEEP_AFTER_EXPIRY[name])
    return removed
