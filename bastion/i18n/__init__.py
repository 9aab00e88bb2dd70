"""The language a person reads Bastion in.

Code marks what a person reads with `_()` (translated now, in the current language) or `N_()`
(a constant translated later, where it is shown: catalogue entries, email subjects). Pages and
emails use the same `_()` through Jinja's i18n extension. The current language is a context
variable, set once per request (or per email) with `speaking()`; reason codes, field names and
anything a program reads never go through the catalogue.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).parent / "locales"


@dataclass(frozen=True, slots=True)
class Language:
    tag: str  # BCP 47, as in Content-Language and <html lang>
    name: str  # the language's own name for itself, for the language menu
    direction: str  # "ltr" or "rtl"
    babel_locale: str  # Babel's name: the catalogue's folder and the dates' locale


LANGUAGES: dict[str, Language] = {
    language.tag: language
    for language in (
        Language("en", "English", "ltr", "en"),
        Language("es", "Español", "ltr", "es"),
        Language("zh-Hans", "简体中文", "ltr", "zh_Hans"),
        Language("ar", "العربية", "rtl", "ar"),
    )
}
SOURCE = "en"  # the language the code is written in: its catalogue is the code itself

_current: ContextVar[str] = ContextVar("bastion_language", default=SOURCE)
# The IANA time zone times are shown in (the account's, or the browser's); UTC when unknown.
_zone: ContextVar[str] = ContextVar("bastion_time_zone", default="UTC")


def current() -> Language:
    return LANGUAGES.get(_current.get(), LANGUAGES[SOURCE])


def current_zone() -> str:
    return _zone.get()


@contextmanager
def speaking(tag: str, zone: str | None = None) -> Iterator[Language]:
    """Everything translated inside the block is in `tag` (an unknown tag means the source language),
    and times are shown in `zone` (kept as it is when None)."""
    token = _current.set(tag if tag in LANGUAGES else SOURCE)
    zone_token = _zone.set(zone) if zone else None
    try:
        yield current()
    finally:
        _current.reset(token)
        if zone_token is not None:
            _zone.reset(zone_token)


@cache
def _translations(tag: str) -> _gettext.NullTranslations:
    if tag == SOURCE:
        return _gettext.NullTranslations()
    path = LOCALES / LANGUAGES[tag].babel_locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=LANGUAGES[tag].babel_locale)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy guess is never shown
    compiled.seek(0)
    return _gettext.GNUTranslations(compiled)


def gettext(message: str) -> str:
    return _translations(current().tag).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations(current().tag).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a constant for the catalogue; it is translated where it is shown, with `_()`."""
    return message


_ = gettext
