"""After sign-in, back to the platform page the person came from — only when its origin is exactly one of
BASTION_RETURN_URLS (scheme, host and port): anything else is ignored, so sign-in is no open redirect."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bastion.accounts.admin import create_account
from bastion.startup import build_services
from bastion.web.app import create_app
from bastion.web.return_to import RETURN_TO_COOKIE, allowed_return
from tests.conftest import DEFAULT_PASSWORD
from tests.web.test_pages import cookie_named, csrf_for

ORIGINS = frozenset({"https://exchange.example", "https://app.example:8443"})


@pytest.fixture
def client(tmp_path: Path, sqlite_template: Path, settings_factory, clock) -> Iterator[TestClient]:
    shutil.copyfile(sqlite_template, tmp_path / "bastion.db")
    services = build_services(settings_factory(database_url=f"sqlite:///{tmp_path / 'bastion.db'}",
                                               return_urls="https://exchange.example,https://app.example:8443"),
                              clock=clock)
    create_account(services, "ada@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
    try:
        with TestClient(create_app(services, deliver_mail=False), raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        services.close()


def sign_in(client: TestClient):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": "ada@example.com", "password": DEFAULT_PASSWORD,
                                       "csrf_token": csrf_for(client, "/login")}, follow_redirects=False)


def test_sign_in_goes_back_to_the_platform_page(client: TestClient) -> None:
    back = "https://exchange.example/markets/BTC-EUR?side=buy#book"
    assert client.get("/login", params={"return_to": back}).status_code == 200
    signed_in = sign_in(client)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == back
    assert cookie_named(signed_in, RETURN_TO_COOKIE).startswith(f'{RETURN_TO_COOKIE}=""; ')  # used once
    # Signed in already: straight back, and without return_to to the usual page.
    assert client.get("/login", params={"return_to": back}, follow_redirects=False).headers["location"] == back
    assert client.get("/login", follow_redirects=False).headers["location"] == "/"


def test_another_origin_is_ignored_and_sign_in_goes_home(client: TestClient) -> None:
    client.get("/login", params={"return_to": "https://evil.example/markets"})
    assert RETURN_TO_COOKIE not in client.cookies
    assert sign_in(client).headers["location"] == "/"


def test_a_return_address_planted_in_the_cookie_is_checked_again(client: TestClient) -> None:
    client.cookies.set(RETURN_TO_COOKIE, base64.urlsafe_b64encode(b"https://evil.example/").decode())
    assert sign_in(client).headers["location"] == "/"
    client.cookies.clear()
    client.cookies.set(RETURN_TO_COOKIE, "not base64 at all!")
    assert sign_in(client).headers["location"] == "/"


@pytest.mark.parametrize("url, expected", [
    ("https://exchange.example/markets", "https://exchange.example/markets"),
    ("https://exchange.example", "https://exchange.example/"),
    ("https://exchange.example:443/x?a=1&b=2", "https://exchange.example/x?a=1&b=2"),
    ("HTTPS://Exchange.Example/x", "https://exchange.example/x"),
    ("https://app.example:8443/orders", "https://app.example:8443/orders"),
])
def test_an_exact_origin_is_allowed(url: str, expected: str) -> None:
    assert allowed_return(url, ORIGINS) == expected


@pytest.mark.parametrize("url", [
    "https://evil.example/",  # another host
    "https://exchange.example.evil.example/",  # a host that starts the same
    "https://evilexchange.example/",
    "https://sub.exchange.example/",  # a subdomain is another origin
    "http://exchange.example/",  # another scheme
    "https://exchange.example:8443/",  # the same host, another port
    "https://app.example/",  # the other origin's host on its default port
    "https://exchange.example@evil.example/",  # userinfo: the browser goes to evil.example
    "https://exchange.example:443@evil.example/",
    "https://user:pass@exchange.example/",
    "//evil.example/",  # scheme-relative
    "//exchange.example/",
    "/security",  # a path is not a platform page
    "https:\\\\evil.example\\",  # backslashes: browsers read them as slashes
    "https://exchange.example\\@evil.example/",
    "https:/\\evil.example/",
    "https:evil.example/",
    "https:///exchange.example/",
    "javascript:alert(document.domain)//https://exchange.example/",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://exchange.example/\r\nSet-Cookie: x=1",  # header splitting
    " https://exchange.example/",
    "https://exchange.example/\t",
    "https://exch\u0430nge.example/",  # a Cyrillic a
    "https://exchange.example:99999/",  # no such port
    "https://exchange.example:-1/",
    "https://[::1]:443/",
    "https://exchange.example/" + "a" * 3000,  # very long
    "",
])
def test_anything_else_is_refused(url: str) -> None:
    assert allowed_return(url, ORIGINS) is None


@pytest.mark.parametrize("url", ["https://exchange.example@evil.example/", "//evil.example", "https:\\\\evil.example",
                                 "javascript:alert(1)", "https://exchange.example:8443/", "https://exchange.example/"
                                 + "a" * 5000])
def test_a_refused_address_changes_nothing_in_the_page_flow(client: TestClient, url: str) -> None:
    page = client.get("/login", params={"return_to": url})
    assert page.status_code == 200 and RETURN_TO_COOKIE not in client.cookies
    assert sign_in(client).headers["location"] == "/"
