"""Apps' client secrets at the OpenID token, revocation and introspection endpoints.

A client secret is guessed only as fast as the budget allows, and the budget pauses the guesser,
never the app: failures are counted per IP whatever client id it names (`oidc_client_ip`), per
pair of a confidential client id and that IP (`oidc_client`), and against the network like every
failed secret. Once one is spent, that IP (or that client id from that IP) is paused for the
window, checked *before* any secret is compared, so a paused guess learns nothing — while the
app's own servers, elsewhere, go on. A public client (method `none`) has no secret to guess:
nothing is counted or paused for its client id, only for the sender's address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bastion.clock import seconds_until
from bastion.services import Services
from bastion.throttle.rules import counter_key


def _hold_key(scope: str, value: str) -> str:
    return counter_key(f"hold-{scope}", value)


def _subjects(secret_holder: str | None, ip: str | None) -> list[tuple[str, str]]:
    """What a failure is counted against: the IP and, for a confidential client, its id from that IP."""
    source = ip or "unknown"
    subjects = [("oidc_client_ip", source)]
    if secret_holder:
        subjects.append(("oidc_client", f"{secret_holder}|{source}"))
    return subjects


def paused_for(services: Services, secret_holder: str | None, ip: str | None, now: datetime) -> int | None:
    """Seconds to wait when this IP, its network, or this confidential client id from this IP is
    paused, else None (one look-up: it runs before every token request's client authentication).
    `secret_holder`: the claimed client id when it names a confidential client."""
    keys = [_hold_key(scope, value) for scope, value in _subjects(secret_holder, ip)]
    until = services.throttle.store.held_until(keys[0], now, also=[*keys[1:], *services.throttle.network_keys(ip)])
    return None if until is None else seconds_until(until, now)


def count_failure(services: Services, secret_holder: str | None, ip: str | None, now: datetime) -> None:
    throttle = services.throttle
    throttle.count_network_failure(ip, now)
    for scope, value in _subjects(secret_holder, ip):
        wait = throttle.hit(scope, value, now)
        if wait is not None:
            throttle.store.hold(_hold_key(scope, value), now + timedelta(seconds=wait), now)
