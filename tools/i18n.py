"""The translation catalogues: `extract` the messages the code marks, `update` every shipped language,
`check` that every shipped language translates every message.

    .venv/bin/python tools/i18n.py extract   # bastion/i18n/messages.pot from the code and templates
    .venv/bin/python tools/i18n.py update    # merge it into bastion/i18n/locales/<lang>/LC_MESSAGES/messages.po
    .venv/bin/python tools/i18n.py check     # each message missing, empty, fuzzy or with other placeholders

`check` extracts afresh into a temporary file (the committed .pot may be stale) and is what
tests/i18n/test_catalogues.py runs. docs/translations.md says how to mark, translate and add a language.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from bastion.i18n import LANGUAGES, LOCALES, SOURCE, Language

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "bastion" / "i18n" / "messages.pot"
# What formatting fills in: named (`%(time)s`) and positional (`%s`, `%d`) placeholders.
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|%[sdifr]")


def extract(output: Path = TEMPLATE) -> None:
    # babel.cfg's patterns ("bastion/**.py") are relative to the folder scanned: the checkout's root.
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-o", str(output),
        "--no-location", "--sort-output", "--project", "Bastion", "-k", "N_", "-k", "N_plural:1,2", str(ROOT),
    ])


def update() -> None:
    for language in shipped():
        po = catalogue_path(language)
        verb = "update" if po.exists() else "init"
        arguments = ["pybabel", "-q", verb, "-i", str(TEMPLATE), "-d", str(LOCALES), "-l", language.babel_locale]
        if verb == "update":
            arguments += ["--no-fuzzy-matching", "--ignore-obsolete"]
        CommandLineInterface().run(arguments)


def shipped() -> list[Language]:
    """The languages with a catalogue of their own (the source language is the code itself)."""
    return [language for language in LANGUAGES.values() if language.tag != SOURCE]


def catalogue_path(language: Language) -> Path:
    return LOCALES / language.babel_locale / "LC_MESSAGES" / "messages.po"


def check() -> list[str]:
    """Every way a shipped language falls short of the code's messages, one line each."""
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "messages.pot"
        extract(template)
        with template.open("rb") as pot:
            wanted = read_po(pot)
    found: list[str] = []
    for language in shipped():
        path = catalogue_path(language)
        if not path.exists():
            found.append(f"{language.tag}: no catalogue at {path.relative_to(ROOT)} (run tools/i18n.py update)")
            continue
        with path.open("rb") as po:
            translated = read_po(po, locale=language.babel_locale)
        found += [f"{language.tag}: {problem}" for problem in shortfalls(wanted, translated)]
    return found


def shortfalls(wanted: Catalog, translated: Catalog) -> list[str]:
    """What `translated` lacks for each message of `wanted`: missing, empty, fuzzy, or placeholders
    that differ from the original's."""
    found: list[str] = []
    for message in wanted:
        if not message.id:
            continue  # the header
        entry = translated.get(message.id, context=message.context)
        label = repr(message.id if isinstance(message.id, str) else message.id[0])
        if entry is None:
            found.append(f"missing {label}")
        elif entry.fuzzy:
            found.append(f"fuzzy {label}")
        elif not _filled(entry):
            found.append(f"untranslated {label}")
        elif not _same_placeholders(entry):
            found.append(f"placeholders differ in {label}")
    return found


def _forms(text: object) -> list[str]:
    return list(text) if isinstance(text, (list, tuple)) else [str(text or "")]


def _filled(entry: Message) -> bool:
    return all(form.strip() for form in _forms(entry.string))


def _placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text.replace("%%", "")))


def _same_placeholders(entry: Message) -> bool:
    """A plain message keeps exactly the original's placeholders. A plural form may leave out the
    count (Arabic's "one" and "two" spell it), never bring one of its own."""
    originals = _forms(entry.id)
    translations = _forms(entry.string)
    if len(originals) == 1:
        return _placeholders(translations[0]) == _placeholders(originals[0])
    allowed = {placeholder for original in originals for placeholder in _placeholders(original)}
    every = {placeholder for translation in translations for placeholder in _placeholders(translation)}
    return every <= allowed and allowed <= every


def main(command: str) -> int:
    if command == "check":
        problems = check()
        print("\n".join(problems) or "every shipped language translates every message")
        return 1 if problems else 0
    {"extract": extract, "update": update}[command]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
