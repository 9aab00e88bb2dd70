"""The flow tests in each language the site speaks: the language a test runs in, chosen with the
`bastion_lang` cookie before its first page, and `say()` for the words it looks for — the catalogue's
own translation, so a test finds the Spanish page by the Spanish its people read."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bastion import i18n
from tests.browser.site import Site

LANGUAGES = ["en", "es"]
PAGES = ("page", "other_page", "page_without_script")
_speaking = {"tag": "en"}


def say(message: str) -> str:
    """The catalogue's translation of an English msgid in the test's language."""
    with i18n.speaking(_speaking["tag"]):
        return i18n.gettext(message)


def say_part(message: str, **values: str) -> re.Pattern[str]:
    """The translated sentence as a pattern, each %(name)s matching anything unless given."""
    pattern = re.escape(say(message))
    for name in re.findall(r"%\\\(([a-z_]+)\\\)s", pattern):
        value = values.get(name)
        pattern = pattern.replace(re.escape(f"%({name})s"), re.escape(value) if value is not None else ".+?")
    return re.compile(pattern)


def speak(request: pytest.FixtureRequest, site: Site) -> Any:
    """Every browser page the test uses asks for the parametrized language; English again after it."""
    tag = str(request.param)
    _speaking["tag"] = tag
    for name in PAGES:
        if name in request.fixturenames:
            request.getfixturevalue(name).context.add_cookies(
                [{"name": "bastion_lang", "value": tag, "url": site.base_url}])
    yield tag
    _speaking["tag"] = "en"


def sign_in_with_password(page: Any, email: str, password: str) -> None:
    page.get_by_role("heading", name=say("Sign in")).wait_for()
    page.get_by_label(say("Email address")).fill(email)
    page.get_by_label(say("Password"), exact=True).fill(password)
    page.get_by_role("button", name=say("Sign in"), exact=True).click()


def open_section(page: Any, name: str) -> None:
    page.get_by_role("navigation", name=say("Security settings")).get_by_role("link", name=say(name)).click()
    page.wait_for_load_state()


def audit(site: Site, page: Any, name: str) -> None:
    """The page checked and photographed in the test's language, light and dark."""
    site.audit_schemes(page, f"{name}-{_speaking['tag']}")
