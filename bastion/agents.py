"""A browser's user agent in words for people ('Chrome on macOS'), parsed with ua-parser.

Below every feature: the devices list, the sign-in history and the emails all name a device the
same way, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from bastion.i18n import _

_SYSTEM_WORDS = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}


@dataclass(frozen=True, slots=True)
class ParsedAgent:
    browser: str | None
    os: str | None
    device_family: str | None

    @property
    def words(self) -> str | None:
        """'Chrome on macOS'; None when nothing was recognised."""
        system = _SYSTEM_WORDS.get(self.os or "", self.os)
        if self.browser and system:
            return _("%(browser)s on %(system)s") % {"browser": self.browser, "system": system}
        return self.browser or system


@lru_cache(maxsize=1024)
def parse_agent(user_agent: str | None) -> ParsedAgent:
    if not user_agent:
        return ParsedAgent(None, None, None)
    from ua_parser import parse

    found = parse(user_agent[:512])

    def known(value: str | None) -> str | None:
        return value[:64] if value and value != "Other" else None

    return ParsedAgent(known(found.user_agent.family if found.user_agent else None),
                       known(found.os.family if found.os else None),
                       known(found.device.family if found.device else None))


def describe_agent(user_agent: str | None) -> str:
    """The device in words for people ('Chrome on macOS'); the agent itself when nothing is recognised."""
    words = parse_agent(user_agent).words
    if words:
        return words
    if not user_agent:
        return _("Unknown device")
    return user_agent[:60] + ("…" if len(user_agent) > 60 else "")
