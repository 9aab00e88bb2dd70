"""The throttle's expiring rows (the database backend's counters): swept by `bastion.worker`."""

from __future__ import annotations

from datetime import timedelta

from bastion.store.expiry import Expiry
from bastion.throttle.database import delete_expired_counters

EXPIRIES = (Expiry("throttle_counters", timedelta(0), delete_expired_counters),)
