"""Sessions during maintenance: a window that blocks sessions refuses everyone's but staff's."""

from __future__ import annotations

from datetime import datetime

from bastion.ops.maintenance import current_window, maintenance_refusal
from bastion.services import Services


def refuse_during_blocking_maintenance(services: Services, roles: frozenset[str], aal: int, now: datetime,
                                       allow_stale: bool = False) -> None:
    """`service.maintenance` while a window blocks sessions, unless the session is staff's (who fix
    things) and proved a second factor: a staff role is in effect only then (accounts/staff.py)."""
    window = current_window(services, allow_stale=allow_stale)
    if window is not None and window.block_sessions and not (roles and aal >= 2):
        raise maintenance_refusal(window, now)
