"""What a refusal was, found by its reference (requirements §34).

Every refusal carries a reference: sign-in refusals are recorded with their attempt
(`sign_in_attempts`), every other one in `refusals`. The person who was refused sees
its reason, when it happened, the steps and — live — when what refused them ends
(a pause, a maintenance window, a temporary ban). Never who it was: no email, IP,
device or account id. Support sees the same explanation plus the attempt's details.

References are 40 random bits: guessing one that exists is hopeless, and even then
it names no account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import find_account
from bastion.catalogue import CATALOGUE, ReasonEntry
from bastion.clock import rfc3339
from bastion.errors import BastionError, Reason
from bastion.guard.steps import DEVICE_CODE, SECOND_FACTOR, paused_until
from bastion.help.models import Refusal
from bastion.help.records import attempt_view, request_view
from bastion.ops.maintenance import current_window
from bastion.services import Services
from bastion.signin.attempts import find_attempt_by_reference

STEP_PAUSES = {budget.paused: budget for budget in (SECOND_FACTOR, DEVICE_CODE)}
_SHAPE = re.compile(r"^R-[0-9A-HJKMNP-TV-Z]{8}$")
# Crockford base 32 reads I and L as 1 and O as 0: what people copy by hand.
_MISREAD = str.maketrans({"I": "1", "L": "1", "O": "0"})


@dataclass(frozen=True, slots=True)
class Recorded:
    """One refusal as stored, from either table."""

    code: Reason
    occurred_at: datetime
    account_id: str | None
    ip: str | None
    identifier: str | None = None
    device_id: str | None = None
    details: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    reference: str
    reason: ReasonEntry
    occurred_at: datetime
    # When what refused it ends, while it is still in effect (a pause, maintenance, a ban).
    in_effect_until: datetime | None
    # Support only: the attempt's details (who, from where, how). Never a secret: none is stored.
    details: dict[str, Any] | None = None

    @property
    def timed(self) -> bool:
        """Whether what refused it ends by itself (then `in_effect_until` is None once it has)."""
        return self.reason.code in TIMED


# Refusals caused by something that ends at a known time, told live by `_in_effect_until`.
TIMED = frozenset({Reason.ACCOUNT_LOCKED, Reason.IP_THROTTLED, Reason.MFA_LOCKED, Reason.SERVICE_MAINTENANCE,
                   Reason.ACCOUNT_BANNED})


def normalize_reference(text: str) -> str | None:
    """'r-7f3k9q2m', 'R 7F3K 9Q2M' or '7F3K9Q2M' → 'R-7F3K9Q2M'; None when it cannot be one."""
    typed = text.strip().upper()[:32]
    explicit = re.match(r"^R[\s-]+", typed)
    compact = re.sub(r"[\s-]", "", typed[explicit.end():] if explicit else typed)
    if not explicit and len(compact) == 9 and compact.startswith("R"):
        compact = compact[1:]
    candidate = "R-" + compact.translate(_MISREAD)
    return candidate if _SHAPE.match(candidate) else None


def explain_reference(services: Services, reference: str, staff: bool = False) -> Explanation:
    """The refusal behind `reference`, or `help.reference_not_found`. `staff` adds the attempt's details."""
    normalized = normalize_reference(reference)
    if normalized is None:
        raise BastionError(Reason.HELP_REFERENCE_NOT_FOUND)
    now = services.clock.now()
    with services.db.transaction() as tx:
        recorded = _find(tx, normalized)
        if recorded is None:
            raise BastionError(Reason.HELP_REFERENCE_NOT_FOUND)
        details = _staff_details(tx, recorded) if staff else None
    # Outside the transaction: the throttle's counters may live in the same database.
    until = _in_effect_until(services, recorded, now)
    return Explanation(normalized, CATALOGUE[recorded.code], recorded.occurred_at, until, details)


def _find(tx: Tx, reference: str) -> Recorded | None:
    attempt = find_attempt_by_reference(tx, reference)
    if attempt is not None:
        return Recorded(Reason(attempt.code or Reason.INTERNAL_ERROR), attempt.created_at, attempt.account_id,
                        attempt.ip, identifier=attempt.identifier, device_id=attempt.device_id,
                        details={"attempt": attempt_view(attempt)})
    refusal = tx.get(Refusal, reference)
    if refusal is None:
        return None
    return Recorded(Reason(refusal.code), refusal.created_at, refusal.account_id, refusal.ip,
                    details={"request": request_view(refusal)})


def _in_effect_until(services: Services, recorded: Recorded, now: datetime) -> datetime | None:
    """Live: when the pause, window or ban that caused the refusal ends, if it has not yet."""
    throttle = services.throttle
    if recorded.code == Reason.ACCOUNT_LOCKED and recorded.identifier:
        return throttle.identifier_held_until(recorded.identifier, recorded.device_id, now)
    if recorded.code == Reason.IP_THROTTLED and recorded.ip:
        return throttle.network_held_until(recorded.ip, now)
    budget = STEP_PAUSES.get(recorded.code)
    if budget is not None and recorded.account_id:
        return paused_until(services, budget, recorded.account_id, now)
    if recorded.code == Reason.SERVICE_MAINTENANCE:
        window = current_window(services)
        return window.ends_at if window is not None else None
    if recorded.code == Reason.ACCOUNT_BANNED and recorded.account_id:
        with services.db.transaction() as tx:
            account = find_account(tx, recorded.account_id)
            if account is not None and account.status == "banned" and account.status_until and \
                    account.status_until > now:
                return account.status_until
    return None


def _staff_details(tx: Tx, recorded: Recorded) -> dict[str, Any]:
    details = dict(recorded.details or {})
    if recorded.account_id:
        account = find_account(tx, recorded.account_id)
        if account is not None:
            details["account"] = {"id": account.id, "email": account.email, "status": account.status,
                                  "status_until": rfc3339(account.status_until)}
    return details
