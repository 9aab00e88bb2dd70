"""Translations for the language tests: a tiny catalogue per language, since the shipped ones are
filled by translators (the completeness test, test_catalogues.py, holds them to it)."""

from __future__ import annotations

import gettext
from collections.abc import Callable

import pytest

from bastion import i18n


class Table(gettext.NullTranslations):
    """A catalogue from a dict: a message it lacks stays as it is, like gettext."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


@pytest.fixture
def catalogue(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, dict[str, str]], None]:
    """`catalogue("es", {"Sign in": "Iniciar sesión"})`: those messages translated, for this test."""
    tables: dict[str, Table] = {}
    shipped = i18n._translations

    def translations(tag: str) -> gettext.NullTranslations:
        return tables[tag] if tag in tables else shipped(tag)

    monkeypatch.setattr(i18n, "_translations", translations)

    def add(tag: str, messages: dict[str, str]) -> None:
        tables[tag] = Table(messages)

    return add
