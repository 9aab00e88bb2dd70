"""Windowed budgets spent together (`SignInThrottle.spend`): the case requests, the password reset
and the resends count one event in each of their budgets, and the first one over refuses."""

from __future__ import annotations

import pytest

from bastion.errors import BastionError
from bastion.startup import build_services


def test_the_first_budget_over_its_limit_refuses_and_the_next_is_not_counted(services, settings_factory,
                                                                              clock) -> None:
    tight = build_services(settings_factory(database_url=services.settings.database_url,
                                            rate_limits="2/1h/reset_identifier,5/1h/reset_ip"), clock=clock)
    try:
        throttle, now = tight.throttle, clock.now()
        for _ in range(2):
            throttle.spend(now, ("reset_identifier", "dana@example.com"), ("reset_ip", "198.51.100.7"))
        with pytest.raises(BastionError) as refused:
            throttle.spend(now, ("reset_identifier", "dana@example.com"), ("reset_ip", "198.51.100.7"),
                           detail="Check your inbox first.")
        assert (refused.value.code, refused.value.retry_after, refused.value.detail) == (
            "rate_limited", 3600, "Check your inbox first.")
        # The IP's budget saw only the two requests that went through: three more pass, the sixth does not.
        for _ in range(3):
            throttle.spend(now, ("reset_ip", "198.51.100.7"))
        with pytest.raises(BastionError):
            throttle.spend(now, ("reset_ip", "198.51.100.7"))
    finally:
        tight.close()
