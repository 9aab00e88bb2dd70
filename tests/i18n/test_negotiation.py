"""Which language a request is answered in: the person's choice in this browser, then the account's
saved preference, then Accept-Language, then English; the zone: the account's, then the browser's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bastion import i18n
from bastion.i18n.negotiation import negotiate, supported, valid_zone
from bastion.web.deps import SessionDep
from tests.web.test_pages import sign_in


@pytest.mark.parametrize(("header", "expected"), [
    ("es-MX,es;q=0.9,en;q=0.8", "es"),
    ("es-419", "es"),
    ("ar-EG,ar;q=0.9", "ar"),
    ("ar-SA", "ar"),
    ("zh", "zh-Hans"),
    ("zh-CN", "zh-Hans"),
    ("zh-SG", "zh-Hans"),
    ("zh-Hans", "zh-Hans"),
    ("zh-hans-cn", "zh-Hans"),
    ("zh-TW,zh;q=0.9,en;q=0.8", "zh-Hans"),  # Traditional is not shipped; the next range is plain Chinese
    ("zh-TW,en;q=0.8", "en"),
    ("zh-Hant-HK", "en"),
    ("fr-FR,fr;q=0.9,de;q=0.8", "en"),  # nothing shipped: the source language
    ("fr;q=1, es;q=0.1", "es"),  # any shipped language before none
    ("en;q=0.5, ar", "ar"),  # by weight, not by position
    ("es;q=0, ar;q=0.2", "ar"),  # q=0: not acceptable
    ("es;q=abc, ar", "ar"),  # a malformed weight drops its range only
    ("*", "en"),
    ("", "en"),
    (",,;;q=,", "en"),
])
def test_accept_language_picks_the_best_shipped_language(header: str, expected: str) -> None:
    assert negotiate(header) == expected


def test_a_tag_is_spelled_as_bastion_spells_it_and_the_pseudo_locale_only_when_allowed() -> None:
    assert supported("ZH-hans") == "zh-Hans" and supported(" es ") == "es" and supported("ar") == "ar"
    assert supported("fr") is None and supported("") is None and supported(None) is None
    assert supported("x" * 100) is None
    assert supported("en-XA") is None and supported("en-xa", pseudo=True) == "en-XA"


def test_a_time_zone_is_one_zoneinfo_knows() -> None:
    assert valid_zone("Europe/Madrid") == "Europe/Madrid" and valid_zone("UTC") == "UTC"
    for wrong in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Europe\\Madrid", "", None, "A" * 80):
        assert valid_zone(wrong) is None


def _voice(session: SessionDep) -> dict[str, str]:
    """What the request speaks once the session is read (a sync dependency, in its own thread)."""
    return {"language": i18n.current().tag, "zone": i18n.current_zone()}


@pytest.fixture
def voice_client(app_client: TestClient) -> TestClient:
    app_client.app.add_api_route("/v1/test-voice", _voice)  # type: ignore[attr-defined]
    return app_client


def test_choice_then_account_then_accept_language_then_english(voice_client, account_factory, services) -> None:
    from bastion.accounts.preferences import save_preferences

    client = voice_client
    assert client.get("/login").headers["content-language"] == "en"
    assert client.get("/login", headers={"Accept-Language": "es"}).headers["content-language"] == "es"
    assert '<html lang="ar" dir="rtl"' in client.get("/login", headers={"Accept-Language": "ar"}).text

    account = account_factory()
    assert sign_in(client, account["email"]).status_code == 303
    spanish = {"Accept-Language": "es"}
    assert client.get("/v1/test-voice", headers=spanish).json() == {"language": "es", "zone": "UTC"}
    save_preferences(services, account["id"], {"language": "ar", "time_zone": "Asia/Dubai"})
    assert client.get("/v1/test-voice", headers=spanish).json() == {"language": "ar", "zone": "Asia/Dubai"}
    assert client.get("/", headers=spanish).headers["content-language"] == "ar"  # the page's, after the session

    client.cookies.set("bastion_lang", "zh-Hans")
    client.cookies.set("bastion_tz", "Europe%2FMadrid")
    assert client.get("/v1/test-voice", headers=spanish).json() == {"language": "zh-Hans", "zone": "Asia/Dubai"}
    assert client.get("/v1/test-voice?lang=es").json()["language"] == "es"  # ?lang= for this request only
    save_preferences(services, account["id"], {"language": None, "time_zone": None})
    assert client.get("/v1/test-voice").json() == {"language": "zh-Hans", "zone": "Europe/Madrid"}


def test_a_cookie_naming_no_shipped_language_or_zone_is_ignored(voice_client, account_factory) -> None:
    client = voice_client
    account = account_factory()
    assert sign_in(client, account["email"]).status_code == 303
    client.cookies.set("bastion_lang", "fr")
    client.cookies.set("bastion_tz", "Mars/Olympus")
    assert client.get("/v1/test-voice", headers={"Accept-Language": "es"}).json() == {"language": "es", "zone": "UTC"}


def test_outside_a_request_bastion_speaks_english_in_utc() -> None:
    assert i18n.current().tag == "en" and i18n.current_zone() == "UTC"
    i18n.prefer("es", "Europe/Madrid")  # no request: nothing to settle
    assert i18n.current().tag == "en" and i18n.current_zone() == "UTC"
    with i18n.speaking("es", "Europe/Madrid"):
        i18n.prefer("ar", None)
        assert i18n.current().tag == "ar" and i18n.current_zone() == "Europe/Madrid"
        with i18n.speaking("xx"):
            assert i18n.current().tag == "en" and i18n.current_zone() == "Europe/Madrid"
    assert i18n.current().tag == "en"
