"""Security emails and audit events of the second-factor flows (REQUIREMENTS 13, 23, 24).

Every email carries the time, the IP and a "this wasn't me" link that freezes the account. No
code, secret or challenge is ever part of an email or an event.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import get_account
from bastion.accounts.status import freeze_link
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.notify.outbox import enqueue
from bastion.services import Services
from bastion.store.types import new_id

log = logging.getLogger("bastion.mfa")

# What a factor change email says happened.
CHANGES = {
    "totp_enabled": "An authenticator app was set up for two-step sign-in, and new backup codes were made.",
    "totp_removed": "The authenticator app was removed from two-step sign-in.",
    "backup_codes_regenerated": "New backup codes were made; the old ones no longer work.",
    "passkey_added": "A passkey named “{name}” was added.",
    "passkey_renamed": "A passkey was renamed to “{name}”.",
    "passkey_removed": "The passkey named “{name}” was removed.",
    "mfa_disabled": "Two-step sign-in is now off: no authenticator app or passkey is left, so the backup "
                    "codes were voided too. For your safety, withdrawals are on hold until {hold_until}.",
}


def notify(services: Services, tx: Tx, account_id: str, template: str, dedup_key: str, client: Client,
           **context: Any) -> None:
    now = services.clock.now()
    enqueue(services, tx, template, get_account(tx, account_id), dedup_key=dedup_key, now=now,
            when=rfc3339(now), ip=client.ip or "unknown", freeze_link=freeze_link(services, tx, account_id),
            **context)


def record_factor_change(services: Services, tx: Tx, account_id: str, change: str, client: Client,
                         **details: Any) -> None:
    """Audit event and email for an added, changed or removed factor."""
    now = services.clock.now()
    record_event(tx, now, f"mfa.{change}", account_id, client, **details)
    notify(services, tx, account_id, "factor_changed", f"factor_changed/{change}/{new_id()}", client,
           change=CHANGES[change].format(name=details.get("name", ""), hold_until=details.get("hold_until", "")))


# What a "failed second step" email says went wrong.
FAILED_SECOND_STEP = {
    "mfa.code_invalid": "a wrong authenticator code",
    "mfa.clock_skew": "an authenticator code for a different time (a phone clock that is off)",
    "mfa.backup_code_invalid": "a wrong or already used backup code",
    "passkey.invalid": "a passkey that could not be checked",
    "passkey.user_not_verified": "a passkey without confirming it on the device",
    "mfa.attempts_exceeded": "too many wrong second steps",
    "mfa.locked": "too many wrong second steps",
}


def alert_failed_second_step(services: Services, tx: Tx, account_id: str, flow_id: str, code: str,
                             client: Client) -> None:
    """Correct password, failed second step (OWASP MFA cheat sheet): one email per sign-in flow."""
    notify(services, tx, account_id, "mfa_failed", f"mfa_failed/{flow_id}", client,
           reason=FAILED_SECOND_STEP[code])


def alert_reused_code(services: Services, tx: Tx, account_id: str, credential_id: str, step: int,
                      client: Client, during: str) -> None:
    """A TOTP code presented again: audit, log and email (one per reused step)."""
    now = services.clock.now()
    record_event(tx, now, "mfa.totp_code_reused", account_id, client, during=during)
    log.warning("totp code reused", extra={"account_id": account_id, "reason_code": "mfa.code_reused",
                                           "during": during})
    notify(services, tx, account_id, "totp_code_reused", f"totp_code_reused/{credential_id}/{step}", client)


def alert_locked(services: Services, tx: Tx, account_id: str, retry_after: int | None, client: Client) -> None:
    now = services.clock.now()
    record_event(tx, now, "mfa.locked", account_id, client, seconds=retry_after)
    notify(services, tx, account_id, "mfa_locked", f"mfa_locked/{account_id}/{now:%Y%m%d%H%M}", client,
           seconds=retry_after or 0)


def alert_cloned_passkey(services: Services, tx: Tx, account_id: str, passkey_id: str, name: str,
                         stored: int, presented: int, client: Client) -> None:
    now = services.clock.now()
    record_event(tx, now, "mfa.passkey_cloned", account_id, client, passkey_id=passkey_id,
                 stored_count=stored, presented_count=presented)
    log.warning("passkey sign counter went back", extra={"account_id": account_id, "factor_id": passkey_id})
    notify(services, tx, account_id, "passkey_cloned", f"passkey_cloned/{passkey_id}/{presented}", client,
           name=name)
