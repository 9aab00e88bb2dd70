"""Sessions during maintenance: a window that blocks sessions refuses everyone's but staff's."""

from __future__ import annotations

from datetime import datetime

from bastion.ops.maintenance import current_window, maintenance_refusal
from bastion.services import Services


def refuse_during_blocking_maintenance(services: Services, roles: frozenset[str], now: datetime,
                                       allow_stale: bool = False) -> None:
    """`service.maintenance` while a window blocks sessions, unless the session is staff's (who fix things)."""
    window = current_window(services, allow_stale=allow_stale)
    if window is not None and window.block_sessions and not roles:
        raise maintenance_refusal(window, now)
