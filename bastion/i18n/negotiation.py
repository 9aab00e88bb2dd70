"""Which language and time zone a request is answered in, from what the browser sends.

In order: the person's explicit choice (the language menu's cookie, or `?lang=`), then the
signed-in account's saved preference (applied once the session is read: `bastion.i18n.prefer`),
then `Accept-Language`, then English. The time zone: the account's, else the browser's (a
cookie a small script sets), else UTC. Everything here is pure and cached: it runs on every request.
"""

from __future__ import annotations

from functools import cache, lru_cache
from zoneinfo import available_timezones

from babel.dates import get_timezone_location

from bastion.i18n import LANGUAGES, PSEUDO, SOURCE

_BY_LOWER = {tag.lower(): tag for tag in LANGUAGES}
# Chinese written in Simplified characters: the script, or the regions that use it.
_SIMPLIFIED = frozenset({"zh", "zh-hans", "zh-cn", "zh-sg", "zh-my"})
_TRADITIONAL = frozenset({"hant", "tw", "hk", "mo"})
_MAX_RANGES = 20  # a longer Accept-Language is read this far (RFC 9110 sets no limit)


def supported(tag: str | None, pseudo: bool = False) -> str | None:
    """A shipped language's tag, as Bastion spells it, for `tag` as someone typed it ("zh-hans",
    "ES"); the pseudo-locale only when `pseudo` allows it; None for anything else."""
    if not tag or len(tag) > 35:
        return None
    lowered = tag.strip().lower()
    if pseudo and lowered == PSEUDO.tag.lower():
        return PSEUDO.tag
    return _BY_LOWER.get(lowered)


def _matching(range_: str) -> str | None:
    """The shipped language a language range of Accept-Language asks for (RFC 4647 lookup, with
    Chinese told apart by script), or None."""
    lowered = range_.lower()
    if lowered in _BY_LOWER:
        return _BY_LOWER[lowered]
    primary, _, rest = lowered.partition("-")
    if primary == "zh":
        if lowered in _SIMPLIFIED or rest.startswith("hans"):
            return "zh-Hans"
        if any(subtag in _TRADITIONAL for subtag in rest.split("-")):
            return None  # Traditional Chinese is not shipped: the next range, or English
        return "zh-Hans"
    return _BY_LOWER.get(primary)


@lru_cache(maxsize=512)
def negotiate(accept_language: str) -> str:
    """The best shipped language for an Accept-Language header (RFC 9110 §12.5.4), English when none fits."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:_MAX_RANGES]):
        range_, _, parameters = item.strip().partition(";")
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        if weight <= 0 or not range_.strip():
            continue
        ranked.append((-weight, position, range_.strip()))
    for _, _, range_ in sorted(ranked):
        if range_ == "*":
            return SOURCE
        tag = _matching(range_)
        if tag is not None:
            return tag
    return SOURCE


def valid_zone(name: str | None) -> str | None:
    """An IANA time zone name ("Europe/Madrid"), else None. Only the zones' own names: not the
    files zoneinfo also opens (the server's `localtime`, `posix/…`, leap-second `right/…`)."""
    return name if name and name in _zone_names() else None


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zone for zone in available_timezones()
                     if not zone.startswith(("posix/", "right/")) and zone not in ("localtime", "posixrules", "Factory"))


@cache
def zones() -> tuple[str, ...]:
    """Every IANA time zone name, sorted: the choices a person picks their zone from."""
    return tuple(sorted(zone for zone in available_timezones()
                        if zone == "UTC" or zone.startswith(_REGIONS)))


# The areas of the IANA names people look for ("Europe/Madrid"); not the aliases kept for old
# systems ("US/Eastern", "Etc/GMT+5", whose sign is the reverse of what it reads).
_REGIONS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/", "Europe/",
            "Indian/", "Pacific/")


@lru_cache(maxsize=8)
def zone_choices(babel_locale: str) -> tuple[tuple[str, str], ...]:
    """Each zone of `zones()` with its name in a language ("Europe/Madrid", "hora de España (Madrid)")."""
    return tuple((zone, "UTC" if zone == "UTC" else get_timezone_location(zone, locale=babel_locale))
                 for zone in zones())
