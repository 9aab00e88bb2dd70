"""The sign-in throttle rules of requirements §1-5, over any counter store.

Checked before any password hash, cheapest first: the IP and its subnet, then the identifier, or
the known device's own counter, so an attacker who pauses the identifier does not lock out the
owner. Attempts are counted before their hash and claim the pause (docs/design/guard.md).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bastion.clock import seconds_until
from bastion.config import Settings
from bastion.errors import BastionError, Reason
from bastion.metrics import LOCKOUTS
from bastion.throttle.held_networks import HeldNetworks
from bastion.throttle.limits import Limit, parse_duration, parse_limits
from bastion.throttle.store import CounterStore

# Consecutive-failure counters forget after this long without a failure.
CONSECUTIVE_MEMORY = timedelta(days=30)


def subnet_of(ip: str) -> str | None:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 56  # requirements §1
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def network_held(until: datetime, now: datetime) -> BastionError:
    """The refusal of a request from a network on hold until `until`, wherever it is refused."""
    return BastionError(Reason.IP_THROTTLED, retry_after=seconds_until(until, now))


def _known(device: bool) -> dict[str, bool]:
    """Recorded with a pause of a device that signed in before (never part of the answer): its page
    does not send the person to "a device you used before" — this is one, and it is paused itself."""
    return {"known_device": True} if device else {}


def counter_key(kind: str, value: str) -> str:
    # Identifiers are personal data: counters are keyed by a hash, never the address.
    return f"{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


@dataclass(frozen=True, slots=True)
class PendingAttempt:
    """A password attempt counted before its check: the counter it went to, and its place in the run."""

    key: str
    consecutive: int
    known_device: bool


@dataclass(frozen=True, slots=True)
class FailureOutcome:
    consecutive: int
    locked_until: datetime | None
    newly_locked: bool
    disabled: bool


class SignInThrottle:
    def __init__(self, store: CounterStore, settings: Settings) -> None:
        self.store = store
        self.limits: dict[str, Limit] = parse_limits(settings.rate_limits)
        self.lock_after = settings.lockout_after
        self.first_delay = parse_duration(settings.lockout_first_delay)
        self.max_delay = parse_duration(settings.lockout_max_delay)
        self.ip_lockout = parse_duration(settings.ip_lockout)
        self.disable_after = settings.password_disable_after
        # The holds this process has met, for the sign-in door (bastion/web/admission.py).
        self.held_networks = HeldNetworks()

    # Keys -------------------------------------------------------------------
    @staticmethod
    def identifier_key(identifier: str) -> str:
        return counter_key("id", identifier)

    @staticmethod
    def device_key(identifier: str, device_id: str) -> str:
        return counter_key("dev", f"{identifier}|{device_id}")

    def delay_after(self, consecutive: int) -> timedelta:
        """30 s after the 5th failure, doubling, capped at 15 min (requirements §2)."""
        doublings = min(consecutive - self.lock_after, 20)
        factor: int = 2 ** doublings  # an int: `consecutive` is past `lock_after` here
        return min(self.first_delay * factor, self.max_delay)

    # Checks (before any hash) -----------------------------------------------
    def check_network(self, ip: str | None, now: datetime) -> None:
        until = self.network_held_until(ip, now)
        if until is not None:
            raise network_held(until, now)

    def remembered_network_hold(self, ip: str | None, now: datetime) -> datetime | None:
        """The end of the IP's or its subnet's hold as this process last met it, without asking the
        store (the door's question: it runs on the event loop for every sign-in)."""
        if not self.held_networks or not ip:
            return None
        return self.held_networks.held_until(self.network_keys(ip), now)

    # When pauses end (support and the troubleshooter) -----------------------
    def network_held_until(self, ip: str | None, now: datetime) -> datetime | None:
        """The end of the later of the IP's and the subnet's holds, if either is held now (one look-up)."""
        keys = self.network_keys(ip)
        if not keys:
            return None
        until = self.store.held_until(keys[0], now, also=keys[1:])
        if until is None:
            self.held_networks.forget(*keys)  # ended, or lifted in the store
        else:
            self.held_networks.learn(keys[0], until, now)
        return until

    @staticmethod
    def network_keys(ip: str | None) -> list[str]:
        """The holds that pause an IP: its own and its subnet's (none without an IP)."""
        if not ip:
            return []
        subnet = subnet_of(ip)
        return [counter_key("ip", ip), *([counter_key("subnet", subnet)] if subnet else [])]

    def identifier_held_until(self, identifier: str, device_id: str | None, now: datetime) -> datetime | None:
        """The end of the identifier's pause, or of its known device's own one, if either is held now."""
        also = (self.device_key(identifier, device_id),) if device_id else ()
        return self.store.held_until(self.identifier_key(identifier), now, also=also)

    # Outcomes ---------------------------------------------------------------
    def begin_attempt(self, identifier: str, device_id: str | None, known_device: bool,
                      now: datetime) -> PendingAttempt:
        """Before the hash: refuse while the identifier (or, on a device that signed in to the account
        before, that device's own counter) is paused or switched off; otherwise count the attempt as
        if it failed (a success takes it back) — checked and counted in one step. From the threshold
        on, the attempt holds the pause while it is checked — or, when another attempt holds it, is
        refused and not counted."""
        known = bool(known_device and device_id)
        key = self.device_key(identifier, device_id) if known and device_id else self.identifier_key(identifier)
        counted = self.store.increment_unless_held(key, CONSECUTIVE_MEMORY, now, sliding=True,
                                                   refuse_from=None if known else self.disable_after)
        if counted.count is None:
            if counted.held_until is None:
                raise BastionError(Reason.ACCOUNT_PASSWORD_DISABLED)
            raise BastionError(Reason.ACCOUNT_LOCKED, retry_after=seconds_until(counted.held_until, now),
                               record=_known(known))
        consecutive = counted.count
        if consecutive >= self.lock_after and not self.store.claim_hold(key, now + self.delay_after(consecutive),
                                                                        now):
            self.store.decrement(key, now)
            until = self.store.held_until(key, now)
            raise BastionError(Reason.ACCOUNT_LOCKED, retry_after=seconds_until(until, now) if until else 1,
                               record=_known(known))
        return PendingAttempt(key, consecutive, known)

    def record_failure(self, attempt: PendingAttempt, ip: str | None, now: datetime) -> FailureOutcome:
        """The attempt's password was wrong: it stays counted, and so does the network's failure."""
        self.count_network_failure(ip, now)
        locked = attempt.consecutive >= self.lock_after
        if locked:
            LOCKOUTS.labels("device" if attempt.known_device else "identifier").inc()
        return FailureOutcome(consecutive=attempt.consecutive,
                              locked_until=now + self.delay_after(attempt.consecutive) if locked else None,
                              newly_locked=attempt.consecutive == self.lock_after,
                              disabled=not attempt.known_device and attempt.consecutive == self.disable_after)

    def count_network_failure(self, ip: str | None, now: datetime) -> None:
        """One failed secret of any kind from this address: the IP's and the subnet's budgets (requirements §3)."""
        if ip is None:
            return
        for kind, value in (("ip", ip), ("subnet", subnet_of(ip))):
            if value is None:
                continue
            limit = self.limits[kind]
            key = counter_key(kind, value)
            if self.store.increment(key, limit.window, now) >= limit.count:
                self.store.hold(key, now + self.ip_lockout, now)
                self.held_networks.learn(key, now + self.ip_lockout, now)
                LOCKOUTS.labels(kind).inc()

    def record_success(self, identifier: str, device_id: str | None) -> None:
        keys = [self.identifier_key(identifier)]
        if device_id:
            keys.append(self.device_key(identifier, device_id))
        self.store.reset(*keys)

    def lift_pause(self, identifier: str, now: datetime, device_ids: Sequence[str] = ()) -> bool:
        """Support's unlock: clears the pause unless the 100-failure switch-off is reached (that needs a reset)."""
        if self.store.count(self.identifier_key(identifier), now) >= self.disable_after:
            return False
        self.clear_identifier(identifier, device_ids)
        return True

    def clear_identifier(self, identifier: str, device_ids: Sequence[str] = ()) -> None:
        """Lift the identifier's lock and the 100-failure switch-off (a completed password reset,
        requirements §5), and the pauses of the owner's own known devices with it."""
        self.store.reset(self.identifier_key(identifier), *(self.device_key(identifier, one) for one in device_ids))

    # Windowed limits (mfa, reset, signup) -----------------------------------
    def hit(self, scope: str, value: str, now: datetime) -> int | None:
        """Count one event in `scope`; returns the seconds to wait when over the limit, else None."""
        limit = self.limits[scope]
        key = counter_key(scope, value)
        count = self.store.increment(key, limit.window, now)
        if count > limit.count:
            return int(limit.window.total_seconds())
        return None

    def spend(self, now: datetime, *budgets: tuple[str, str], detail: str | None = None) -> None:
        """Count one event in each (scope, value) budget in turn; the first one over its limit refuses
        with `rate_limited` and when to try again (the budgets after it are not counted)."""
        for scope, value in budgets:
            wait = self.hit(scope, value, now)
            if wait is not None:
                raise BastionError(Reason.RATE_LIMITED, retry_after=wait, detail=detail)
