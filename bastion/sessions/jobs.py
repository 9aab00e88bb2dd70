"""Sessions' periodic work, run by `bastion.worker`: ended sessions stay listable for support a month;
the database's change feed of cached sessions keeps its newest rows only (bastion/store/change_feed.py)."""

from __future__ import annotations

from datetime import timedelta

from bastion.periodic import Job, Phase
from bastion.services import Services
from bastion.sessions.repo import delete_expired_sessions
from bastion.store.change_feed import prune
from bastion.store.expiry import Expiry

EXPIRIES = (Expiry("sessions", timedelta(days=30), delete_expired_sessions),)


def prune_change_feed(services: Services) -> int:
    return prune(services.db)


JOBS = (Job("cached sessions' change feed", Phase.TIDY, prune_change_feed),)
