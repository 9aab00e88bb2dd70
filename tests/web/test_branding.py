"""A platform's look without a fork: its name in every title, header and email, its logo and stylesheets
served at fixed addresses under the strict Content-Security-Policy, and templates overridden file by file."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bastion.startup import build_services
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD
from tests.web.test_pages import csrf_for

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def branded(tmp_path: Path, sqlite_template: Path, settings_factory, clock) -> Iterator[Callable[..., TestClient]]:
    """A site with the given settings (on SQLite: nothing here depends on the database)."""
    with ExitStack() as stack:
        def make(**overrides: object) -> TestClient:
            database = tmp_path / f"bastion-{len(stack._exit_callbacks)}.db"  # type: ignore[attr-defined]
            shutil.copyfile(sqlite_template, database)
            services = build_services(settings_factory(database_url=f"sqlite:///{database}", **overrides), clock=clock)
            stack.callback(services.close)
            return stack.enter_context(TestClient(create_app(services, deliver_mail=False), raise_server_exceptions=False,
                                                  base_url=services.settings.public_url))
        yield make


def csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    parts = (part.strip().partition(" ") for part in response.headers["content-security-policy"].split(";"))
    return {name: value for name, _, value in parts}


def test_by_default_the_pages_say_bastion(branded) -> None:
    page = branded().get("/login")
    assert re.search(r"<title>[^<]* · Bastion</title>", page.text)
    assert '<img src="/static/shield.svg" alt=""><span>Bastion</span>' in page.text
    assert "/brand/" not in page.text
    assert csp(page)["img-src"] == "'self' data:"


def test_the_brand_name_is_in_every_title_and_header(branded) -> None:
    client = branded(brand_name="Example Exchange")
    for path in ("/login", "/signup", "/password-reset", "/help/sign-in", "/status", "/no-such-page"):
        page = client.get(path, headers={"accept": "text/html"}).text
        assert re.search(r"<title>[^<]* · Example Exchange</title>", page), path
        assert "<span>Example Exchange</span>" in page, path
    client.get("/login")
    assert "Bastion</" not in client.get("/login").text


def test_a_logo_file_is_served_at_one_fixed_address(branded, tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_bytes(SVG)
    client = branded(brand_logo=str(logo))
    source = re.search(r'<a class="brand" href="/"><img src="([^"]+)"', client.get("/login").text)
    assert source and re.fullmatch(r"/brand/logo\?v=[0-9a-f]{12}", source.group(1))
    served = client.get(source.group(1))
    assert served.status_code == 200 and served.content == SVG
    assert served.headers["content-type"] == "image/svg+xml"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"] == "public, max-age=86400"
    assert "sandbox" in csp(served) and csp(served)["default-src"] == "'none'"  # opened alone, nothing in it runs
    assert csp(client.get("/login"))["img-src"] == "'self' data:"


def test_a_png_logo_keeps_its_type(branded, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    assert branded(brand_logo=str(logo)).get("/brand/logo").headers["content-type"] == "image/png"


@pytest.mark.parametrize("path", ["/brand/logo/../../etc/passwd", "/brand/..%2f..%2fetc%2fpasswd", "/brand/logo%2f..",
                                  "/brand/config.py", "/brand/%2e%2e/pyproject.toml", "/brand/logo.svg"])
def test_no_address_under_brand_reaches_a_file(branded, tmp_path: Path, path: str) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_bytes(SVG)
    answer = branded(brand_logo=str(logo)).get(path)
    assert answer.status_code == 404 and b"<svg" not in answer.content
    assert answer.headers["content-type"].startswith(("application/problem+json", "text/html"))


def test_nothing_is_served_for_what_is_not_set(branded) -> None:
    client = branded()
    for path in ("/brand/logo", "/brand/theme.css", "/brand/custom.css"):
        answer = client.get(path)
        assert answer.status_code == 404 and answer.json()["code"] == "resource.not_found", path


def test_a_logo_url_is_used_as_is_and_allowed_by_the_policy(branded) -> None:
    client = branded(brand_logo="https://cdn.example.com:8443/brand/logo.svg?v=2")
    page = client.get("/login")
    assert '<img src="https://cdn.example.com:8443/brand/logo.svg?v=2" alt="">' in page.text
    policy = csp(page)
    assert policy["img-src"] == "'self' data: https://cdn.example.com:8443"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'" and policy["default-src"] == "'none'"
    assert client.get("/brand/logo").status_code == 404


def test_the_brand_colour_is_a_stylesheet_of_custom_properties(branded) -> None:
    client = branded(brand_color="#0B7A75")
    page = client.get("/login").text
    links = re.findall(r'<link rel="stylesheet" href="([^"]+)">', page)
    assert links[0].startswith("/static/bastion.css") and re.fullmatch(r"/brand/theme\.css\?v=[0-9a-f]{12}", links[-1])
    theme = client.get(links[-1])
    assert theme.status_code == 200 and theme.headers["content-type"] == "text/css; charset=utf-8"
    assert "--brand: #0b7a75; --on-brand: #ffffff;" in theme.text
    assert "@media (prefers-color-scheme: dark)" in theme.text
    assert " style=" not in page and "<style" not in page


def test_the_extra_stylesheet_comes_after_the_others(branded, tmp_path: Path) -> None:
    extra = tmp_path / "extra.css"
    extra.write_text(".brand span { letter-spacing: .2em; }\n")
    client = branded(brand_css=str(extra), brand_color="#0b7a75")
    page = client.get("/login").text
    links = re.findall(r'<link rel="stylesheet" href="([^"?]+)', page)
    assert links == ["/static/bastion.css", "/brand/theme.css", "/brand/custom.css"]
    served = client.get(re.findall(r'href="(/brand/custom\.css[^"]*)"', page)[0])
    assert served.text == ".brand span { letter-spacing: .2em; }\n"


def test_templates_override_the_shipped_ones_file_by_file(branded, tmp_path: Path) -> None:
    (tmp_path / "own" / "pages").mkdir(parents=True)
    (tmp_path / "own" / "pages" / "status.html").write_text(
        '{% extends "base.html" %}{% block title %}Our status{% endblock %}'
        "{% block content %}<h1>All fine at {{ brand }}</h1>{% endblock %}")
    client = branded(templates_dir=str(tmp_path / "own"), brand_name="Example Exchange")
    status = client.get("/status").text
    assert "<h1>All fine at Example Exchange</h1>" in status and "<title>Our status · Example Exchange</title>" in status
    assert 'action="/login"' in client.get("/login").text  # the pages it does not hold are the shipped ones
    assert "All fine" not in branded().get("/status").text  # another site keeps its own


def test_emails_name_the_brand_and_show_its_logo(branded, tmp_path: Path, mailbox_of) -> None:
    client = branded(brand_name="Example Exchange", brand_logo="https://cdn.example.com/logo.png")
    sign_up(client, "erin@example.com")
    mail = mailbox_of(client).last("erin@example.com")
    assert '<img src="https://cdn.example.com/logo.png" alt="Example Exchange"' in mail["html"]
    assert "\nExample Exchange\nConfirm your email address\n" in mail["text"]


def test_a_logo_file_reaches_emails_through_the_public_address(branded, tmp_path: Path, mailbox_of) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    client = branded(brand_logo=str(logo), public_url="https://id.example.com")
    sign_up(client, "fay@example.com")
    assert '<img src="https://id.example.com/brand/logo" alt="Bastion"' in mailbox_of(client).last("fay@example.com")["html"]


def test_without_a_logo_emails_show_the_name(branded, mailbox_of) -> None:
    client = branded(brand_name="Example Exchange")
    sign_up(client, "gus@example.com")
    html = mailbox_of(client).last("gus@example.com")["html"]
    assert '<p style="margin:0 0 8px;font-weight:700">Example Exchange</p>' in html and "<img" not in html


def test_email_templates_are_overridden_file_by_file(branded, tmp_path: Path, mailbox_of) -> None:
    (tmp_path / "own" / "emails").mkdir(parents=True)
    (tmp_path / "own" / "emails" / "verify_email.txt").write_text(
        '{% extends "_base.txt" %}{% block body %}Welcome to {{ brand }}: {{ link }}{% endblock %}')
    client = branded(templates_dir=str(tmp_path / "own"), brand_name="Example Exchange")
    sign_up(client, "hal@example.com")
    mail = mailbox_of(client).last("hal@example.com")
    assert "Welcome to Example Exchange: http" in mail["text"]
    assert "Welcome to" not in mail["html"]  # the HTML part is still the shipped one


def sign_up(client: TestClient, email: str) -> None:
    answer = client.post("/signup", data={"email": email, "password": DEFAULT_PASSWORD,
                                          "csrf_token": csrf_for(client, "/signup")})
    assert answer.status_code in {200, 303}, answer.text


@pytest.fixture
def mailbox_of() -> Callable[[TestClient], object]:
    from tests.conftest import Mailbox

    return lambda client: Mailbox(client.app.state.services)  # type: ignore[attr-defined]
