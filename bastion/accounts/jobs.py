"""The accounts' expiring rows: emailed single-use tokens, swept by `bastion.worker`."""

from __future__ import annotations

from datetime import timedelta

from bastion.accounts.repo import delete_expired_tokens
from bastion.store.expiry import Expiry

EXPIRIES = (Expiry("one_time_tokens", timedelta(days=7), delete_expired_tokens),)
