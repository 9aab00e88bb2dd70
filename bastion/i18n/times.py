"""Times and durations as a person reads them: in the current language and time zone (`speaking()`),
with CLDR's words for both (Babel).

A time always names its zone, so a reader never has to guess: '5 Jan 2026, 10:00 CET'; when the
person's zone is not known it is UTC, and says so ('5 Jan 2026, 09:00 UTC'). What a program
reads (a `datetime` attribute, an API field) stays RFC 3339 and never passes here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_skeleton, format_timedelta

from bastion import i18n
from bastion.i18n.negotiation import valid_zone

# Bastion's English writes day, month, year and a 24-hour clock, as British English does: no
# reader anywhere takes 5 Jan for 1 May.
_DATE_LOCALES = {"en": "en_GB"}
# CLDR has no short name for most zones in most languages and gives the offset instead ("+0100"):
# a reader gets the zone's name then ("Japan Standard Time").
_OFFSET = re.compile(r"(?:GMT|UTC)?\s*[+\-−]\d.*")


def moment_words(moment: datetime, zone: str | None = None) -> str:
    """'5 Jan 2026, 10:00 CET': the date, the time and the zone's name, in the current language."""
    place = _zone(zone or i18n.current_zone())
    locale = _locale(i18n.current().babel_locale)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    date = format_skeleton("yMMMd", moment, tzinfo=place, locale=locale)
    clock = format_skeleton("Hm", moment, tzinfo=place, locale=locale)
    name = format_datetime(moment, "z", tzinfo=place, locale=locale)
    if _OFFSET.fullmatch(name):
        name = format_datetime(moment, "zzzz", tzinfo=place, locale=locale)
    return str(locale.datetime_formats["medium"]).format(f"{clock} {name}", date)


def date_words(moment: datetime, zone: str | None = None) -> str:
    """'5 Jan 2026': the date alone, in the current language and zone."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return format_skeleton("yMMMd", moment, tzinfo=_zone(zone or i18n.current_zone()),
                           locale=_locale(i18n.current().babel_locale))


def utc_words() -> str:
    """What a time in UTC ends with in the current language ('UTC'): the page's script finds them by it."""
    return format_datetime(datetime(2026, 1, 5, tzinfo=UTC), "z", tzinfo=UTC, locale=_locale(i18n.current().babel_locale))


def text_moment_words(value: datetime | str | None) -> str:
    """A time given as a datetime or an RFC 3339 string, in words; text that is not a time, as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        parsed = parse_moment(value)
        return value if parsed is None else moment_words(parsed)
    return moment_words(value)


def parse_moment(value: str) -> datetime | None:
    """An RFC 3339 time (a trailing Z, or an offset; none is read as UTC), or None."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def duration_words(length: timedelta | float, short: bool = False, threshold: float = 2) -> str:
    """'35 minutes', '5 hours', '3 days' (or '35 min' with `short`), in the current language,
    rounded to one unit: the largest one there are `threshold` of (by default 47 hours, then 2 days)."""
    seconds = length.total_seconds() if isinstance(length, timedelta) else float(length)
    return format_timedelta(timedelta(seconds=max(seconds, 1)), threshold=threshold,
                            format="short" if short else "long", locale=i18n.current().babel_locale)


@cache
def _locale(babel_locale: str) -> Locale:
    return Locale.parse(_DATE_LOCALES.get(babel_locale, babel_locale))


@lru_cache(maxsize=1024)  # names come from cookies: bounded
def _zone(name: str) -> tzinfo:
    """The IANA zone; UTC for a name that is not one (a zone comes from a cookie, too)."""
    known = valid_zone(name)
    return ZoneInfo(known) if known else UTC
