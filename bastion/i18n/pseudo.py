"""The pseudo-locale: every message accented and bracketed (`Sign in` → `⟦Ŝîĝñ îñ⟧`).

A page read in it shows at a glance — and a browser test finds — any text that did not go
through the catalogue: it is the text still in plain Latin letters outside the brackets.
Placeholders (`%(name)s`, `%s`, `%%`), HTML tags and entities stay as they are, so the
transformed message formats and renders like the original.
"""

from __future__ import annotations

import gettext
import re
from functools import lru_cache

OPEN, CLOSE = "⟦", "⟧"
_LETTERS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŜŢÛṼŴẊÝŽ",
)
# What a program reads inside a message: kept, letter for letter.
_KEPT = re.compile(r"(%\(\w+\)[sdifr]|%[sdifr%]|<[^<>]*>|&#?\w+;|\{\w*\})")


@lru_cache(maxsize=4096)
def pseudo(message: str) -> str:
    if not message:
        return message
    parts = _KEPT.split(message)
    # split() with one group: the even items are text, the odd ones what is kept.
    return OPEN + "".join(part if index % 2 else part.translate(_LETTERS) for index, part in enumerate(parts)) + CLOSE


class PseudoTranslations(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        return pseudo(message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)
