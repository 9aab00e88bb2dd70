"""Telling the owner about failed secrets: once per burst, with the count (requirements §10, §23).

A single wrong password is never emailed (OWASP Credential Stuffing cheat sheet); the pause it
leads to is, once. A failed second step after the correct password is emailed (OWASP MFA cheat
sheet) — but one typo followed by the right code is not news: within a burst (an hour) the owner
gets one email, when the failures reach `ALERT_AFTER`, or at once when they came from a device or
place the account has not used. Counting and the "sent" mark are atomic counters of the throttle
store, so concurrent failures send one email, never one each.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import Reason
from bastion.i18n import N_
from bastion.plugs import Plug
from bastion.services import Services
from bastion.throttle.rules import FailureOutcome, counter_key

BURST = timedelta(hours=1)
ALERT_AFTER = 3


class SecurityEmail(Protocol):
    """Writes a security email to the owner in the caller's transaction (requirements §23)."""

    def __call__(self, services: Services, tx: Tx, account_id: str, template: str, dedup_key: str,
                 client: Client, **context: Any) -> None: ...


# The owner's address and the email's "this wasn't me" link are the accounts' (bastion.accounts.security_emails).
SECURITY_EMAILS: Plug[SecurityEmail] = Plug("security emails (bastion.accounts)")

# What a "failed second step" email says went wrong.
FAILED_SECOND_STEP = {
    Reason.MFA_CODE_INVALID: N_("a wrong authenticator code"),
    Reason.MFA_CLOCK_SKEW: N_("an authenticator code for a different time (a phone clock that is off)"),
    Reason.MFA_BACKUP_CODE_INVALID: N_("a wrong or already used backup code"),
    Reason.PASSKEY_INVALID: N_("a passkey that could not be checked"),
    Reason.PASSKEY_USER_NOT_VERIFIED: N_("a passkey without confirming it on the device"),
    Reason.DEVICE_CODE_INVALID: N_("a wrong code from the \"Confirm it's you\" email"),
}


def password_paused(services: Services, tx: Tx, account_id: str, outcome: FailureOutcome, client: Client,
                    known_device: bool) -> None:
    """The pause starts (or the password is switched off): one email and one event, never one per guess."""
    now = services.clock.now()
    record_event(tx, now, "signin.paused", account_id, client, consecutive=outcome.consecutive,
                 disabled=outcome.disabled, scope="device" if known_device else "identifier")
    SECURITY_EMAILS()(services, tx, account_id, "sign_in_locked",
                      f"sign_in_locked/{account_id}/{outcome.consecutive}/{now:%Y%m%d%H}", client,
                      count=outcome.consecutive, disabled=outcome.disabled,
                      reset_link=f"{services.settings.public_url}/password-reset")


def second_step_failed(services: Services, account_id: str, code: Reason, client: Client, new_place: bool) -> bool:
    """Count a failed second step in the owner's burst; email once per burst. True when emailed.

    Outside any transaction: the counters may live in the same database."""
    if code not in FAILED_SECOND_STEP:
        return False
    now = services.clock.now()
    store = services.throttle.store
    count = store.increment(counter_key("alert_burst", account_id), BURST, now)
    if not (new_place or count >= ALERT_AFTER):
        return False
    if store.increment(counter_key("alert_sent", account_id), BURST, now) != 1:
        return False
    with services.db.transaction() as tx:
        record_event(tx, now, "mfa.failed_alert_sent", account_id, client, failures=count, new_place=new_place)
        SECURITY_EMAILS()(services, tx, account_id, "mfa_failed", f"mfa_failed/{account_id}/{now:%Y%m%d%H%M%S}",
                          client, reason=FAILED_SECOND_STEP[code], count=count, new_place=new_place)
    return True


def second_step_paused(services: Services, tx: Tx, account_id: str, code: Reason, retry_after: int | None,
                       client: Client) -> None:
    """The account's second step (or its emailed device code) is paused: one email as the pause starts."""
    now = services.clock.now()
    record_event(tx, now, code, account_id, client, seconds=retry_after)
    SECURITY_EMAILS()(services, tx, account_id, "mfa_locked", f"{code}/{account_id}/{now:%Y%m%d%H%M}", client,
                      seconds=retry_after or 0, device_code=code == Reason.DEVICE_LOCKED)
