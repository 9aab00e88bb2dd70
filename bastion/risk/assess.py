"""Signals → decision, with nothing but data in and out (requirements §19). Pure, so it is cheap and
easy to table-test; `history.py` gathers the account's past, `stage.py` acts on the decision.

Baseline (no history, no demand): the signals that compare with the past — new device, new
country, impossible travel — are raised only when there is a past to compare with. The first
sign-in of a new account (or the first from a located address, or the first device to sign in)
establishes the baseline instead of asking for verification: there is nothing it could differ
from, and the sign-up already proved the mailbox. Unknown locations (private, loopback, test
addresses) raise no location signal.

Failure velocity (a burst of wrong passwords on the account) is raised only for devices the
account does not know: whoever guesses the password from a new device during an attack must
still prove the mailbox, while the owner on a known device is not slowed (requirements §4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bastion.geo import Location
from bastion.risk.policy import RiskPolicy
from bastion.risk.travel import impossible_travel


@dataclass(frozen=True, slots=True)
class History:
    has_devices: bool = False  # the account has at least one known device
    device_known: bool = False
    device_trusted: bool = False
    recent_countries: frozenset[str] = frozenset()  # of successful sign-ins in the last N days
    previous: tuple[str, datetime] | None = None  # country and time of the last located successful sign-in
    recent_failures: int = 0


@dataclass(frozen=True, slots=True)
class Assessment:
    signals: list[str]
    decision: str  # allow | verify | deny
    location: Location
    details: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """What is kept with the attempt and the security event."""
        return {"decision": self.decision, "signals": self.signals, "country": self.location.country,
                "asn": self.location.asn_name, **self.details}


def assess(policy: RiskPolicy, location: Location, ip: str | None, device_id: str | None, history: History,
           now: datetime, max_speed_kmh: float, failure_limit: int) -> Assessment:
    signals: list[str] = []
    details: dict[str, Any] = {}
    if history.has_devices and not history.device_known:
        signals.append("new_device")
    if location.country and history.previous is not None:
        if location.country not in history.recent_countries:
            signals.append("new_country")
        previous, previous_at = history.previous
        if impossible_travel(previous, previous_at, location.country, now, max_speed_kmh):
            signals.append("impossible_travel")
            details["travel_from"] = previous
    if policy.is_anonymizer(ip, location.asn_name):
        signals.append("anonymizer")
    if history.recent_failures >= failure_limit and not history.device_known:
        signals.append("failure_velocity")
        details["recent_failures"] = history.recent_failures
    return Assessment(signals, policy.decide(signals), location, details)
