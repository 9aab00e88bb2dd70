"""What follows the removal of a factor: when none is left, 2FA is off — the backup
codes are voided and, as after any 2FA removal (docs/design.md), withdrawals are held for 24 h."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session as Tx

from bastion.clock import rfc3339
from bastion.context import Client
from bastion.mfa.backup_codes import repo as backup_code_repo
from bastion.mfa.flows.notices import record_factor_change
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.sessions.holds import WITHDRAWAL, place_hold

HOLD_AFTER_DISABLING = timedelta(hours=24)


def after_factor_removed(services: Services, tx: Tx, account_id: str, client: Client) -> None:
    if METHODS.has_second_factor(tx, account_id):
        return
    now = services.clock.now()
    backup_code_repo.void_sets(tx, account_id, now)
    until = place_hold(tx, now, account_id, WITHDRAWAL, "mfa_disabled", HOLD_AFTER_DISABLING)
    record_factor_change(services, tx, account_id, "mfa_disabled", client, hold_until=rfc3339(until))
