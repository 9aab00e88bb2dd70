"""The pseudo-locale: every message accented and bracketed, what a program reads inside it kept, and
reachable only where BASTION_PSEUDO_LOCALE allows it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from bastion import i18n
from bastion.i18n.pseudo import pseudo
from bastion.startup import build_services
from bastion.web.app import create_app


def test_messages_are_accented_and_bracketed_with_placeholders_and_markup_kept() -> None:
    assert pseudo("Sign in") == "⟦Ŝîĝñ îñ⟧"
    transformed = pseudo('Paused until %(time)s: 100%% sure. Read <a href="/help">the guide</a> &amp; more.')
    assert transformed == '⟦Þáûšéđ ûñţîĺ %(time)s: 100%% šûŕé. Ŕéáđ <a href="/help">ţĥé ĝûîđé</a> &amp; ɱöŕé.⟧'
    assert transformed % {"time": "09:00"} == '⟦Þáûšéđ ûñţîĺ 09:00: 100% šûŕé. Ŕéáđ <a href="/help">ţĥé ĝûîđé</a> &amp; ɱöŕé.⟧'
    assert pseudo("%s of %d") % ("a", 2) == "⟦a öƒ 2⟧"
    assert not re.search(r"[A-Za-z]", pseudo("The quick brown fox jumps over the lazy dog").replace("⟦", ""))
    assert pseudo("") == ""


def test_gettext_and_ngettext_in_the_pseudo_locale() -> None:
    with i18n.speaking("en-XA"):
        assert i18n.current().tag == "en-XA" and i18n.current().direction == "ltr"
        assert i18n.gettext("Save") == "⟦Ŝáṽé⟧"
        assert i18n.ngettext("%(num)d code", "%(num)d codes", 2) % {"num": 2} == "⟦2 çöđéš⟧"


def test_the_pseudo_locale_is_chosen_only_where_the_setting_allows(app_client, database_url, settings_factory,
                                                                   clock) -> None:
    assert app_client.get("/login?lang=en-XA").headers["content-language"] == "en"
    app_client.cookies.set("bastion_lang", "en-XA")
    assert app_client.get("/login").headers["content-language"] == "en"

    services = build_services(settings_factory(database_url=database_url, pseudo_locale=True), clock=clock)
    try:
        with TestClient(create_app(services, deliver_mail=False)) as client:
            page = client.get("/login?lang=en-XA")
            assert page.headers["content-language"] == "en-XA" and '<html lang="en-XA" dir="ltr"' in page.text
            assert 'aria-label="⟦Ĺáñĝûáĝé⟧"' in page.text  # the language menu's own label
            menu = re.search(r'action="/language".*?</form>', page.text, re.DOTALL).group(0)
            assert 'value="en-XA"' not in menu  # never offered
            chosen = client.post("/language", data={"language": "en-XA", "back": "/status"}, follow_redirects=False,
                                 headers={"Sec-Fetch-Site": "same-origin"})
            assert chosen.headers["set-cookie"].startswith("bastion_lang=en-XA;")
            problem = client.get("/v1/me/sessions").json()
            assert problem["title"].startswith("⟦") and problem["code"] == "session.required"
    finally:
        services.close()
