"""Signals and policy as a table: the pure assessment, the travel arithmetic and the start-up checks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bastion.config import ConfigError, load_settings
from bastion.geo import Location
from bastion.risk.assess import History, assess
from bastion.risk.policy import DEFAULT_POLICY, RiskPolicy
from bastion.risk.travel import distance_km, impossible_travel
from bastion.startup import check_settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = RiskPolicy.from_settings(DEFAULT_POLICY, "", "")
STRICT = RiskPolicy.from_settings(DEFAULT_POLICY.replace("new_device=allow", "new_device=verify"), "", "")
DE, GB, JP = Location("DE", "Germany", "Strato AG"), Location("GB", "United Kingdom", "Andrews & Arnold Ltd"), \
    Location("JP", "Japan", "SAKURA Internet Inc.")
SEEN_GB = History(has_devices=True, device_known=True, recent_countries=frozenset({"GB"}),
                  previous=("GB", NOW - timedelta(days=2)))


def run(location: Location, history: History, policy: RiskPolicy = POLICY, ip: str = "81.2.69.142",
        failures_limit: int = 10) -> tuple[list[str], str]:
    result = assess(policy, location, ip, "device", history, NOW, 1000, failures_limit)
    return result.signals, result.decision


@pytest.mark.parametrize(("case", "location", "history", "policy", "signals", "decision"), [
    ("brand-new account, first sign-in", GB, History(), POLICY, [], "allow"),
    ("first device of the account: the baseline", GB, History(has_devices=False), STRICT, [], "allow"),
    ("known device, known country", GB, SEEN_GB, POLICY, [], "allow"),
    ("second device, default policy", GB, History(has_devices=True, recent_countries=frozenset({"GB"}),
                                                   previous=("GB", NOW - timedelta(days=2))), POLICY,
     ["new_device"], "allow"),
    ("second device, strict policy", GB, History(has_devices=True, recent_countries=frozenset({"GB"}),
                                                  previous=("GB", NOW - timedelta(days=2))), STRICT,
     ["new_device"], "verify"),
    ("country not seen in 90 days", DE, SEEN_GB, POLICY, ["new_country"], "verify"),
    ("unknown location: no location signal", Location(), SEEN_GB, POLICY, [], "allow"),
    ("London to Tokyo in 30 minutes", JP, History(has_devices=True, device_known=True,
                                                   recent_countries=frozenset({"GB", "JP"}),
                                                   previous=("GB", NOW - timedelta(minutes=30))), POLICY,
     ["impossible_travel"], "verify"),
    ("London to Berlin in 3 hours is possible", DE, History(has_devices=True, device_known=True,
                                                             recent_countries=frozenset({"GB", "DE"}),
                                                             previous=("GB", NOW - timedelta(hours=3))), POLICY,
     [], "allow"),
])
def test_signals_and_decisions(case: str, location: Location, history: History, policy: RiskPolicy,
                               signals: list[str], decision: str) -> None:
    assert run(location, history, policy) == (signals, decision), case


def test_a_hosting_provider_is_an_anonymizer_and_deny_wins_over_verify() -> None:
    aws = Location("US", "United States", "AMAZON-02")
    assert run(aws, SEEN_GB, ip="52.95.110.1") == (["new_country", "anonymizer"], "deny")


def test_anonymizer_lists_take_numbers_names_and_cidrs() -> None:
    policy = RiskPolicy.from_settings(DEFAULT_POLICY, "Stiftung Erneuerbare Freiheit", "203.0.113.0/24,2001:db8::/32")
    assert policy.is_anonymizer("185.220.101.1", "Stiftung Erneuerbare Freiheit")
    assert policy.is_anonymizer("203.0.113.5", None) and policy.is_anonymizer("2001:db8::5", None)
    assert policy.is_anonymizer("1.2.3.4", "hetzner online gmbh")  # shipped: AS24940, any case
    assert not policy.is_anonymizer("81.2.69.142", "Andrews & Arnold Ltd")


def test_failure_velocity_raises_its_signal_at_the_limit_for_unknown_devices_only() -> None:
    busy = History(has_devices=True, device_known=False, recent_countries=frozenset({"GB"}),
                   previous=("GB", NOW - timedelta(days=1)), recent_failures=10)
    assert run(GB, busy) == (["new_device", "failure_velocity"], "verify")
    assert run(GB, dataclasses.replace(busy, recent_failures=9)) == (["new_device"], "allow")
    # The owner's known device is not slowed by an attack on the account (requirements §4).
    assert run(GB, dataclasses.replace(busy, device_known=True)) == ([], "allow")


def test_same_country_is_never_travel_and_centroid_distances_are_sane() -> None:
    assert not impossible_travel("DE", NOW - timedelta(seconds=1), "DE", NOW, 1000)
    assert 8_000 < (distance_km("GB", "JP") or 0) < 10_500
    assert 500 < (distance_km("GB", "DE") or 0) < 1_500
    assert distance_km("GB", "XX") is None


@pytest.mark.parametrize("overrides", [
    {"risk_policy": "vpn=deny"}, {"risk_policy": "new_device=block"}, {"risk_anonymizer_asns": "AS99999"},
    {"risk_anonymizer_cidrs": "not-a-cidr"}, {"risk_failure_velocity": "ten/1h"},
    {"risk_failure_velocity": "10/1y"},
])
def test_a_malformed_risk_setting_stops_the_start(overrides: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="BASTION_RISK"):
        check_settings(load_settings(**overrides))
