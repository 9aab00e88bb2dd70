"""Audit events and security emails for factor changes (requirements §13, §23, §24).

Every email carries the time, the IP and a "this wasn't me" link that freezes the account. No
code, secret or challenge is ever part of an email or an event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts.security_emails import send_security_email
from bastion.audit import record_event
from bastion.context import Client
from bastion.i18n import N_
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.store.types import new_id

# What a factor change email says happened, besides each method's own changes (its `history.events`).
CHANGES = {
    "mfa_disabled": N_("2FA is now off: no authenticator app or passkey is left, so the backup "
                       "codes were voided too. For your safety, withdrawals are on hold until %(hold_until)s."),
}


def change_words(change: str) -> str:
    """The email's sentence for a change (`N_()`, translated in the account's language by the email)."""
    if change in CHANGES:
        return CHANGES[change]
    notice = METHODS.events()[f"mfa.{change}"].notice
    if not notice:
        raise KeyError(change)  # an event that sends no email: the change was misnamed
    return notice


def record_factor_change(services: Services, tx: Tx, account_id: str, change: str, client: Client,
                         **details: Any) -> None:
    """Audit event and email for an added, changed or removed factor."""
    now = services.clock.now()
    record_event(tx, now, f"mfa.{change}", account_id, client, **details)
    send_security_email(services, tx, account_id, "factor_changed", f"factor_changed/{change}/{new_id()}", client,
                        change=change_words(change), name=details.get("name", ""), hold_until=details.get("hold_until", ""))
