"""The language a person reads Bastion in.

Code marks what a person reads with `_()` (translated now, in the current language) or `N_()`
(a constant translated later, where it is shown: catalogue entries, email subjects; `N_plural()`
for one with a count). Pages and
emails use the same `_()` through Jinja's i18n extension. The current language is a context
variable, set once per request (or per email) with `speaking()`; reason codes, field names and
anything a program reads never go through the catalogue. How a request's language is chosen is
in `negotiation.py`; the pseudo-locale that shows what escapes the catalogue, in `pseudo.py`.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bastion.i18n.pseudo import PseudoTranslations

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
# Every message transformed (⟦Ŝîĝñ îñ⟧): text that reaches a page without the catalogue stands out.
# Never in the language menu; a request picks it only where BASTION_PSEUDO_LOCALE allows (negotiation.py).
PSEUDO = Language("en-XA", "Pseudo", "ltr", "en")


@dataclass(slots=True)
class _Voice:
    """What one request (or one email) is read in. Changed in place by `prefer()`: FastAPI runs a
    request's dependencies in worker threads, each with a copy of the request's context, and a copy
    holds this same object, so what the session dependency settles the whole request sees."""

    tag: str
    zone: str  # IANA name; "UTC" when unknown
    chosen: bool  # the person picked the language for this browser: the account's saved one yields to it


_DEFAULT = _Voice(SOURCE, "UTC", False)  # outside any `speaking()`; never changed
_voice: ContextVar[_Voice] = ContextVar("bastion_voice", default=_DEFAULT)


def known(tag: str) -> bool:
    return tag in LANGUAGES or tag == PSEUDO.tag


def current() -> Language:
    tag = _voice.get().tag
    return LANGUAGES.get(tag) or (PSEUDO if tag == PSEUDO.tag else LANGUAGES[SOURCE])


def current_zone() -> str:
    return _voice.get().zone


@contextmanager
def speaking(tag: str, zone: str | None = None, chosen: bool = False) -> Iterator[Language]:
    """Everything translated inside the block is in `tag` (an unknown tag means the source language),
    and times are shown in `zone` (kept as it is when None). `chosen`: the person picked `tag` (it
    outranks the account's saved language, see `prefer`)."""
    token = begin(tag, zone, chosen)
    try:
        yield current()
    finally:
        end(token)


def begin(tag: str, zone: str | None = None, chosen: bool = False) -> Token[_Voice]:
    """`speaking()` without the block, for the edge (a generator-based block costs every request
    more than the rest of this); `end(token)` when the request is answered."""
    return _voice.set(_Voice(tag if known(tag) else SOURCE, zone or _voice.get().zone, chosen))


def end(token: Token[_Voice]) -> None:
    _voice.reset(token)


def prefer(tag: str | None, zone: str | None) -> None:
    """The signed-in account's saved language and zone, for the rest of the request: its language
    unless the person chose one in this browser, its zone over the browser's."""
    voice = _voice.get()
    if voice is _DEFAULT:
        return
    if tag and not voice.chosen and known(tag):
        voice.tag = tag
    if zone:
        voice.zone = zone


@cache
def _translations(tag: str) -> _gettext.NullTranslations:
    if tag == PSEUDO.tag:
        return PseudoTranslations()
    if tag == SOURCE or tag not in LANGUAGES:
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
    return _translations(_voice.get().tag).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations(_voice.get().tag).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a constant for the catalogue; it is translated where it is shown, with `_()`."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Marks a constant with a count for the catalogue (both forms, as `ngettext` takes them); it is
    translated where it is shown, with `ngettext(*forms, count)`."""
    return singular, plural


_ = gettext
