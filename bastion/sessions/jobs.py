"""Sessions' expiring rows, swept by `bastion.worker`: ended sessions stay listable for support a month."""

from __future__ import annotations

from datetime import timedelta

from bastion.sessions.repo import delete_expired_sessions
from bastion.store.expiry import Expiry

EXPIRIES = (Expiry("sessions", timedelta(days=30), delete_expired_sessions),)
