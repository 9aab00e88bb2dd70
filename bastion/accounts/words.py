"""Devices and places in words, for emails, the activity list and the device list."""

from __future__ import annotations

from bastion.accounts.devices import describe_agent
from bastion.geo import country_name
from bastion.i18n import _


def place_words(country: str | None) -> str:
    return country_name(country) or _("Unknown location")


def device_and_place(user_agent: str | None, country: str | None) -> str:
    """'Chrome on macOS, Germany'."""
    return f"{describe_agent(user_agent)}, {place_words(country)}"
