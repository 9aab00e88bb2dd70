"""The language menu on every page: `POST /language` remembers the choice in a cookie (and, signed in,
on the account) and goes back only to a page of this site."""

from __future__ import annotations

import re

import pytest

from tests.web.test_pages import hidden, sign_in

MENU = re.compile(r'<form method="post" action="/language".*?</form>', re.DOTALL)
OUR_PAGE = {"Origin": "http://testserver"}  # what a browser sends with a form posted from our page


def choose(client, language: str, back: str = "/login", **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/language", data={"language": language, "back": back, **extra}, headers=OUR_PAGE,
                       follow_redirects=False)


def test_every_page_offers_each_shipped_language_in_its_own_name(app_client, account_factory) -> None:
    login = app_client.get("/login?done=signed-out", headers={"Accept-Language": "es"}).text
    menu = MENU.search(login).group(0)
    # The page's path only: nothing from the query is echoed (bastion.js adds it as the menu is used).
    assert 'name="back" value="/login"' in menu and "signed-out" not in menu and "csrf_token" not in menu
    for tag, name in (("en", "English"), ("es", "Español"), ("zh-Hans", "简体中文"), ("ar", "العربية")):
        assert f'value="{tag}" lang="{tag}"' in menu and f">{name}</button>" in menu
    assert re.search(r'value="es"[^>]*aria-current="true"', menu) and "en-XA" not in menu

    account = account_factory()
    assert sign_in(app_client, account["email"]).status_code == 303
    home = app_client.get("/").text
    assert hidden(MENU.search(home).group(0)) == hidden(home)  # the session's CSRF token, to save the choice
    assert MENU.search(app_client.get("/help/sign-in").text)


def test_the_choice_is_a_long_lived_lax_cookie_and_the_way_back(app_client) -> None:
    answer = choose(app_client, "es", "/login?done=signed-out")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?done=signed-out"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("bastion_lang=es;") and "Max-Age=31536000" in cookie and "Path=/" in cookie
    assert "SameSite=lax" in cookie and "HttpOnly" in cookie
    assert app_client.get("/login", headers={"Accept-Language": "ar"}).headers["content-language"] == "es"
    assert choose(app_client, "zh-hans").headers["set-cookie"].startswith("bastion_lang=zh-Hans;")
    # A ?lang= in the page's address would outrank the choice: it is left behind.
    assert choose(app_client, "ar", "/login?lang=es&done=signed-out").headers["location"] == "/login?done=signed-out"
    assert choose(app_client, "ar", "/status?lang=es").headers["location"] == "/status"


@pytest.mark.parametrize("back", [
    "https://evil.example/login", "//evil.example/login", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "http:/evil.example", "/login\r\nLocation: https://evil.example", "evil.example", "", "/" + "a" * 3000,
    "/no-such-page", "/security/freeze",  # not pages a GET opens
])
def test_the_way_back_is_only_a_page_of_this_site(app_client, back: str) -> None:
    answer = choose(app_client, "es", back)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


@pytest.mark.parametrize("headers", [{}, {"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"}])
def test_another_site_cannot_switch_the_language(app_client, headers: dict[str, str]) -> None:
    answer = app_client.post("/language", data={"language": "ar", "back": "/login"}, follow_redirects=False,
                             headers={"Accept": "text/html", **headers})
    assert answer.status_code == 403 and "set-cookie" not in answer.headers and "location" not in answer.headers
    assert app_client.post("/language", data={"language": "ar", "back": "/login"}, follow_redirects=False,
                           headers={"Sec-Fetch-Site": "same-origin"}).status_code == 303


def test_a_language_bastion_does_not_ship_changes_nothing(app_client) -> None:
    answer = choose(app_client, "fr")
    assert answer.status_code == 303 and answer.headers["location"] == "/login" and "set-cookie" not in answer.headers
    assert "set-cookie" not in choose(app_client, "en-XA").headers  # the pseudo-locale is off here


def test_signed_in_the_choice_is_saved_on_the_account(app_client, account_factory, mailbox) -> None:
    account = account_factory()
    assert sign_in(app_client, account["email"]).status_code == 303
    csrf = hidden(app_client.get("/").text)

    assert choose(app_client, "ar", "/", csrf_token="not the token").status_code == 303  # cookie only
    assert app_client.get("/v1/me/preferences").json()["language"] is None
    assert choose(app_client, "es", "/security/sessions", csrf_token=csrf).headers["location"] == "/security/sessions"
    assert app_client.get("/v1/me/preferences").json() == {"language": "es", "time_zone": None}

    app_client.cookies.clear()  # another browser, the same account: its saved language
    assert sign_in(app_client, account["email"]).status_code == 303
    assert app_client.get("/", headers={"Accept-Language": "ar"}).headers["content-language"] == "es"
