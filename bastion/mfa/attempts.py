"""Second-factor attempt limits (REQUIREMENTS 10): 5 per sign-in flow, 10 per account per 15 min.

Every attempt (TOTP, backup code, passkey, and a step-up with a code) is counted *before* it is
checked, with the throttle's atomic windowed counters (`mfa_flow`, `mfa_account`; one INCR,
upsert or Lua call on every backend), so parallel guesses cannot overtake the count.

- Over the flow's limit: the flow is void (`mfa.attempts_exceeded`): start again.
- Over the account's limit: the flow is void and the account's second step is held like rule 2:
  30 s, doubling with each further tripped attempt, up to 15 min (`mfa.locked`, Retry-After).
  While held, attempts are refused before any check and not counted.
A successful second factor clears the doubling (the streak), as a success does in rule 2.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from bastion.errors import BastionError
from bastion.services import Services

# How long the doubling remembers earlier locks without a new one.
STREAK_MEMORY = timedelta(days=1)


def _key(kind: str, account_id: str) -> str:
    return f"{kind}:{hashlib.sha256(account_id.encode()).hexdigest()[:32]}"


def _seconds_until(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() + 0.999))


def locked_until(services: Services, account_id: str, now: datetime) -> datetime | None:
    """When the account's second-step pause ends, if it is paused now."""
    return services.throttle.store.held_until(_key("mfa_lock", account_id), now)


def ensure_not_locked(services: Services, account_id: str, now: datetime) -> None:
    until = locked_until(services, account_id, now)
    if until is not None:
        raise BastionError("mfa.locked", retry_after=_seconds_until(until, now))


@dataclass(frozen=True, slots=True)
class Verdict:
    refusal: BastionError | None  # raise it (after voiding the flow), or go on and check the attempt
    newly_locked: bool = False


def count_attempt(services: Services, account_id: str, flow_id: str | None, now: datetime) -> Verdict:
    throttle = services.throttle
    over_account = throttle.hit("mfa_account", account_id, now)
    over_flow = throttle.hit("mfa_flow", flow_id, now) if flow_id else None
    if over_account is not None:
        streak = throttle.store.increment(_key("mfa_streak", account_id), STREAK_MEMORY, now, sliding=True)
        until = now + throttle.delay_after(throttle.lock_after + streak - 1)
        throttle.store.hold(_key("mfa_lock", account_id), until, now)
        return Verdict(BastionError("mfa.locked", retry_after=_seconds_until(until, now)), newly_locked=streak == 1)
    if over_flow is not None:
        return Verdict(BastionError("mfa.attempts_exceeded"))
    return Verdict(None)


def record_success(services: Services, account_id: str) -> None:
    services.throttle.store.reset(_key("mfa_streak", account_id))
