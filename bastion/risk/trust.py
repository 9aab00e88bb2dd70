"""Trusted devices ("remember this device", requirements §20) expire with the security state.

Like allauth's `mfa/internal/flows/trust.py`, trust is granted over a fingerprint of the password
hash and the ids every registered second-factor method names (authenticator app, passkeys,
backup-code set):
a password reset or any factor added or removed changes the fingerprint, and every trust granted
before it stops counting — no flow has to remember to clear it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session as Tx

from bastion.accounts.devices import trust_device_until
from bastion.mfa.registry import METHODS


class Secured(Protocol):
    """The account a fingerprint is taken of: its password hash, and its factors by id."""

    @property
    def id(self) -> str: ...

    @property
    def password_hash(self) -> str | None: ...


def fingerprint(tx: Tx, account: Secured) -> str:
    factors = METHODS.trust_ids(tx, account.id)
    material = "\n".join([account.password_hash or "", *sorted(factors)])
    return hashlib.sha256(material.encode()).hexdigest()


class TrustState(Protocol):
    """What trust needs of a device: its row, or any row with these two columns."""

    @property
    def trusted_until(self) -> datetime | None: ...

    @property
    def trust_fingerprint(self) -> str | None: ...


def is_trusted(device: TrustState | None, current_fingerprint: str, now: datetime) -> bool:
    return (device is not None and device.trusted_until is not None and device.trusted_until > now
            and device.trust_fingerprint == current_fingerprint)


def trust_device(tx: Tx, account: Secured, device_hash: str, now: datetime, days: int) -> None:
    trust_device_until(tx, account.id, device_hash, now + timedelta(days=days), fingerprint(tx, account))
