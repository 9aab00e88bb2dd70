"""What a process does before it serves or works: check the settings the features parse, then build.

The config holds the throttle's limits and the risk policy as plain text; the throttle and risk
parse them, so they check them here, at start-up, and a typo stops the start with a ConfigError
naming the setting rather than failing the first sign-in. `bastion serve`, `worker`, `demo` and
every command that needs the application start through `start_services`.
"""

from __future__ import annotations

from bastion.config import ConfigError, Settings
from bastion.risk.policy import check_risk_settings
from bastion.services import Services, build_services
from bastion.throttle.limits import check_throttle_settings


def check_settings(settings: Settings) -> Settings:
    try:
        check_throttle_settings(settings)
        check_risk_settings(settings)
    except ValueError as error:
        raise ConfigError(str(error)) from error
    return settings


def start_services(settings: Settings) -> Services:
    return build_services(check_settings(settings))
