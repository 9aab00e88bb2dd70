"""Passkeys' expiring rows: the challenges of ceremonies never finished, swept by `bastion.worker`."""

from __future__ import annotations

from datetime import timedelta

from bastion.mfa.passkeys.repo import delete_expired_challenges
from bastion.store.expiry import Expiry

EXPIRIES = (Expiry("passkey_challenges", timedelta(days=1), delete_expired_challenges),)
