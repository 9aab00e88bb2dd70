"""A browser's user agent in words for people ('Chrome on macOS'), parsed with ua-parser.

Below every feature: the devices list, the sign-in history and the emails all name a device the
same way, in the reader's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bastion.i18n import _

_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 _-]{0,31}")
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
        # Some of ua-parser's families are captured from the agent's own text (bots, apps): only a
        # plain name is kept, so no address or message of the sender's reaches a page or an email.
        return value if value and value != "Other" and _PLAIN_NAME.fullmatch(value) else None

    if found.device and found.device.family == "Spider":  # a bot's name is whatever its sender wrote
        return ParsedAgent(None, None, "Spider")
    return ParsedAgent(known(found.user_agent.family if found.user_agent else None),
                       known(found.os.family if found.os else None),
                       known(found.device.family if found.device else None))


def describe_agent(user_agent: str | None) -> str:
    """The device in words for people ('Chrome on macOS'), or "Unknown device". Never the agent's own
    text: it is whatever the client sent, and it lands in emails to the account's owner."""
    return parse_agent(user_agent).words or _("Unknown device")
