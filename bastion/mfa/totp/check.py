"""Checking a TOTP code, with the clock-skew diagnosis (requirements §8, §9).

A match in T-1..T+1 is valid; a match in T-10..T+10 outside it is refused with `mfa.clock_skew`
and the drift, a future step burned first. Why the diagnosis gives an attacker nothing:
docs/design/clock-skew-diagnosis.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bastion.errors import BastionError, Reason
from bastion.i18n import ngettext
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
    minutes = totp.drift_minutes(drift_seconds)
    if drift_seconds < 0:
        detail = ngettext("That code is for a different time: your phone's clock is about %(num)d minute behind "
                          "— set date and time to automatic, then enter the newest code.",
                          "That code is for a different time: your phone's clock is about %(num)d minutes behind "
                          "— set date and time to automatic, then enter the newest code.", minutes)
    else:
        detail = ngettext("That code is for a different time: your phone's clock is about %(num)d minute ahead "
                          "— set date and time to automatic, then enter the newest code.",
                          "That code is for a different time: your phone's clock is about %(num)d minutes ahead "
                          "— set date and time to automatic, then enter the newest code.", minutes)
    return BastionError(Reason.MFA_CLOCK_SKEW, detail=detail % {"num": minutes}, extra={"drift_seconds": drift_seconds})
