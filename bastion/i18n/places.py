"""Places as a person reads them: a country's name in the current language, from CLDR (Babel).

Bastion knows a place by its ISO 3166-1 alpha-2 code (the offline geolocation has countries, not
cities); the name is looked up where it is shown, so a page and an email each read in their own
language ('Germany', 'Alemania', '德国').
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from babel import Locale

from bastion import i18n
from bastion.i18n import _


def country_words(code: str | None) -> str | None:
    """The country's name in the current language; a code CLDR does not know, as it is; None without one."""
    if not code:
        return None
    return _territories(i18n.current().babel_locale).get(code.upper(), code)


def place_words(country: str | None) -> str:
    """Where a sign-in came from, in words: the country's name, or that it is not known."""
    return country_words(country) or _("Unknown location")


@cache
def _territories(locale: str) -> Mapping[str, str]:
    return Locale.parse(locale).territories
