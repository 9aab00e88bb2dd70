"""The translation catalogues: `extract` the messages the code marks, `update` every shipped language.

    .venv/bin/python tools/i18n.py extract   # bastion/i18n/messages.pot from the code and templates
    .venv/bin/python tools/i18n.py update    # merge it into bastion/i18n/locales/<lang>/LC_MESSAGES/messages.po
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from bastion.i18n import LANGUAGES, LOCALES, SOURCE

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "bastion" / "i18n" / "messages.pot"


def extract() -> None:
    # babel.cfg's patterns ("bastion/**.py") are relative to the folder scanned: the checkout's root.
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(TEMPLATE),
        "--no-location", "--sort-output", "--project", "Bastion", "-k", "N_", str(ROOT),
    ])


def update() -> None:
    for language in LANGUAGES.values():
        if language.tag == SOURCE:
            continue
        po = LOCALES / language.babel_locale / "LC_MESSAGES" / "messages.po"
        verb = "update" if po.exists() else "init"
        arguments = ["pybabel", "-q", verb, "-i", str(TEMPLATE), "-d", str(LOCALES), "-l", language.babel_locale]
        if verb == "update":
            arguments += ["--no-fuzzy-matching", "--ignore-obsolete"]
        CommandLineInterface().run(arguments)


if __name__ == "__main__":
    {"extract": extract, "update": update}[sys.argv[1]]()
