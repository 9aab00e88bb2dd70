"""Apps' client secrets at the OpenID token, revocation and introspection endpoints.

A client secret is guessed only as fast as the budget allows: failures are counted per client id
and per IP (`oidc_client`, `oidc_client_ip` in BASTION_RATE_LIMITS), and against the network like
every failed secret; once either is spent, that client id (or IP) is paused for the window, and
checked *before* any secret is compared, so a paused guess learns nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bastion.clock import seconds_until
from bastion.services import Services
from bastion.throttle.rules import counter_key

SCOPES = ("oidc_client", "oidc_client_ip")


def _hold_key(scope: str, value: str) -> str:
    return counter_key(f"hold-{scope}", value)


def _subjects(client_id: str | None, ip: str | None) -> list[tuple[str, str]]:
    return [(scope, value) for scope, value in zip(SCOPES, (client_id or "-", ip or "unknown"), strict=True)]


def paused_for(services: Services, client_id: str | None, ip: str | None, now: datetime) -> int | None:
    """Seconds to wait when this client id, its IP or its network is paused, else None."""
    store = services.throttle.store
    keys = [_hold_key(scope, value) for scope, value in _subjects(client_id, ip)]
    until = store.held_until(keys[0], now, also=keys[1:])
    network = services.throttle.network_held_until(ip, now)
    latest = max((end for end in (until, network) if end is not None), default=None)
    return None if latest is None else seconds_until(latest, now)


def count_failure(services: Services, client_id: str | None, ip: str | None, now: datetime) -> None:
    throttle = services.throttle
    throttle.count_network_failure(ip, now)
    for scope, value in _subjects(client_id, ip):
        wait = throttle.hit(scope, value, now)
        if wait is not None:
            throttle.store.hold(_hold_key(scope, value), now + timedelta(seconds=wait), now)
