"""Checking a TOTP code, with the clock-skew diagnosis (REQUIREMENTS 8, 9).

A code is looked for in the steps T−10..T+10. A match in T−1..T+1 is *valid* and the caller
consumes its step (`totp_repo.accept_step`) in the transaction that acts on it. A match further
out is refused with `mfa.clock_skew` and the estimated drift ("your phone's clock is about 2
minutes behind"), and a matched future step is burned first.

Why the diagnosis gives an attacker nothing useful:
- It is only reachable after the password (a sign-in flow exists only once the first factor
  passed) or inside a signed-in session (step-up, setup): it never helps guess a password, and
  whoever reaches it already holds the first factor.
- A guess that matches any of the 21 steps but is outside T−1..T+1 is still refused and counts
  as a failed attempt. The chance that one guess signs in stays 3 in a million (T−1..T+1); what
  the attacker learns is only that the guess was the code of a step that will never be
  accepted — a past step (the window never goes back), or a future step that is burned now.
- Burned future steps: the code for T+k learnt this way can never be accepted later, when T+k
  comes into the window — so knowing it is worth nothing.
- Same attempt budget: 5 per flow and 10 per account per 15 min hold for these attempts too, so
  at most 10 guesses per 15 min reach this check whatever it answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bastion.errors import BastionError, Reason
from bastion.mfa.totp import otp as totp
from bastion.mfa.totp import repo as totp_repo
from bastion.services import Services


@dataclass(frozen=True, slots=True)
class ValidCode:
    credential_id: str
    step: int


def check_code(services: Services, account_id: str, code: str, now: datetime) -> ValidCode:
    """The valid step of the account's confirmed authenticator, or a refusal."""
    with services.db.transaction() as tx:
        credential = totp_repo.confirmed_credential(tx, account_id)
        if credential is None:
            raise BastionError(Reason.MFA_METHOD_UNAVAILABLE)
        secret = totp_repo.decrypt_secret(services.keys, credential)
        credential_id = credential.id
    return match_code(services, credential_id, secret, code, now)


def match_code(services: Services, credential_id: str, secret: str, code: str, now: datetime) -> ValidCode:
    found = totp.find_step(secret, code, totp.time_step(now.timestamp()))
    if found is None:
        raise BastionError(Reason.MFA_CODE_INVALID)
    if found.in_window:
        return ValidCode(credential_id, found.step)
    if found.offset > 0:
        with services.db.transaction() as tx:
            totp_repo.burn_step(tx, credential_id, found.step, now)
    raise clock_skew(found.drift_seconds)


def clock_skew(drift_seconds: int) -> BastionError:
    return BastionError(
        Reason.MFA_CLOCK_SKEW,
        detail=f"That code is for a different time: your phone's clock is {totp.describe_drift(drift_seconds)} "
               "— set date and time to automatic, then enter the newest code.",
        extra={"drift_seconds": drift_seconds},
    )
