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
from bastion.services import Services
from bastion.store.types import new_id

# What a factor change email says happened.
CHANGES = {
    "totp_enabled": N_("An authenticator app was set up for 2FA, and new backup codes were made."),
    "totp_removed": N_("The authenticator app was removed from 2FA."),
    "backup_codes_regenerated": N_("New backup codes were made; the old ones no longer work."),
    "passkey_added": N_("A passkey named “%(name)s” was added."),
    "passkey_renamed": N_("A passkey was renamed to “%(name)s”."),
    "passkey_removed": N_("The passkey named “%(name)s” was removed."),
    "mfa_disabled": N_("2FA is now off: no authenticator app or passkey is left, so the backup "
                       "codes were voided too. For your safety, withdrawals are on hold until %(hold_until)s."),
}


def record_factor_change(services: Services, tx: Tx, account_id: str, change: str, client: Client,
                         **details: Any) -> None:
    """Audit event and email for an added, changed or removed factor."""
    now = services.clock.now()
    record_event(tx, now, f"mfa.{change}", account_id, client, **details)
    send_security_email(services, tx, account_id, "factor_changed", f"factor_changed/{change}/{new_id()}", client,
                        change=CHANGES[change], name=details.get("name", ""), hold_until=details.get("hold_until", ""))
