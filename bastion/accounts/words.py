"""Devices and places in words, for the support views."""

from __future__ import annotations

from bastion.accounts.devices import describe_agent
from bastion.i18n.places import place_words as place_words  # one name for a place, wherever it is shown


def device_and_place(user_agent: str | None, country: str | None) -> str:
    """'Chrome on macOS, Germany'."""
    return f"{describe_agent(user_agent)}, {place_words(country)}"
