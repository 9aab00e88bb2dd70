"""Trusted devices ("remember this device", REQUIREMENTS 20) expire with the security state.

Like allauth's `mfa/internal/flows/trust.py`, trust is granted over a fingerprint of the password
hash and the ids every registered second-factor method names (authenticator app, passkeys,
backup-code set):
a password reset or any factor added or removed changes the fingerprint, and every trust granted
before it stops counting — no flow has to remember to clear it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, update
from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import Account
from bastion.mfa.registry import METHODS
from bastion.risk.models import Device


def fingerprint(tx: Tx, account: Account) -> str:
    factors = METHODS.trust_ids(tx, account.id)
    material = "\n".join([account.password_hash or "", *sorted(factors)])
    return hashlib.sha256(material.encode()).hexdigest()


def is_trusted(device: Device | Row[Any] | None, current_fingerprint: str, now: datetime) -> bool:
    """`device`: its row, or any row with its `trusted_until` and `trust_fingerprint`."""
    return (device is not None and device.trusted_until is not None and device.trusted_until > now
            and device.trust_fingerprint == current_fingerprint)


def trust_device(tx: Tx, account: Account, device_hash: str, now: datetime, days: int) -> None:
    tx.execute(update(Device).where(Device.account_id == account.id, Device.device_hash == device_hash)
               .values(trusted_until=now + timedelta(days=days), trust_fingerprint=fingerprint(tx, account)))
