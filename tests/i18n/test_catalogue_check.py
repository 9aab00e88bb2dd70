"""The catalogue check itself (tools/i18n.py): what it reports for each way a translation falls short."""

from __future__ import annotations

from babel.messages.catalog import Catalog

from tools.i18n import shortfalls


def catalogue(*messages: tuple[object, object], fuzzy: frozenset[object] = frozenset()) -> Catalog:
    made = Catalog(locale="ar")
    for original, translated in messages:
        made.add(original, translated, flags=("fuzzy",) if original in fuzzy else ())
    return made


def test_missing_empty_fuzzy_and_placeholders_are_each_reported() -> None:
    wanted = catalogue(("Sign in", ""), ("Paused until %(time)s.", ""), ("Hello", ""), ("Saved", ""),
                       ("Good", ""), (("%(num)d code", "%(num)d codes"), ("", "")), ("100%% sure, %s", ""))
    translated = catalogue(
        ("Paused until %(time)s.", "متوقف حتى %(hour)s."),
        ("Hello", "   "),
        ("Saved", "تم الحفظ"),
        ("Good", "جيد"),
        (("%(num)d code", "%(num)d codes"), ("رمز واحد", "رمزان", "%(num)d رموز", "%(num)d رمزًا", "%(num)d رمز", "")),
        ("100%% sure, %s", "%s متأكد 100%%"),
        fuzzy=frozenset({"Saved"}),
    )
    assert shortfalls(wanted, translated) == [
        "missing 'Sign in'",
        "placeholders differ in 'Paused until %(time)s.'",
        "untranslated 'Hello'",
        "fuzzy 'Saved'",
        "untranslated '%(num)d code'",  # one plural form left empty
    ]


def test_a_plural_form_may_spell_the_count_but_never_bring_a_placeholder_of_its_own() -> None:
    wanted = catalogue((("%(num)d code", "%(num)d codes"), ("", "")))
    spelled = catalogue((("%(num)d code", "%(num)d codes"), ("رمز واحد", "%(num)d رموز")))
    foreign = catalogue((("%(num)d code", "%(num)d codes"), ("%(count)d رمز", "%(num)d رموز")))
    assert shortfalls(wanted, spelled) == []
    assert shortfalls(wanted, foreign) == ["placeholders differ in '%(num)d code'"]
