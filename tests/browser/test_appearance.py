"""How the pages look beyond their words: dark mode passes the accessibility check, the focus ring
stands out in both schemes, right-to-left pages mirror, and times turn local at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from bastion.brand import contrast, theme_css
from tests.browser.conftest import _watched_page
from tests.browser.site import Site
from tests.browser.test_admin_console import sign_in_with_totp
from tests.browser.test_journey import open_section, sign_in_with_password

PUBLIC = {"login": "/login", "signup": "/signup", "reset-request": "/password-reset", "status": "/status",
          "help": "/help/sign-in", "not-found": "/no-such-page"}
SECTIONS = ("2FA", "Sessions and devices", "Activity")


@pytest.fixture
def dark_page(browser: Any, live_site: Site) -> Iterator[Any]:
    """A browser whose system asks for the dark colour scheme."""
    yield from _watched_page(browser, live_site, color_scheme="dark")


def colour(css: str) -> str:
    """'rgb(1, 2, 3)' → '#010203' (opaque colours only: the ones compared here)."""
    red, green, blue = (int(part) for part in re.findall(r"\d+", css)[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def styles(page: Any, selector: str, *names: str) -> list[str]:
    return list(page.locator(selector).first.evaluate(
        "(node, names) => names.map(name => getComputedStyle(node)[name])", list(names)))


def signed_in(page: Any, person: Any) -> None:
    account = person()
    page.goto("/login")
    sign_in_with_password(page, account["email"], account["password"])
    page.get_by_role("heading", name="Account security").wait_for()


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_in_dark_mode(dark_page, site, name) -> None:
    dark_page.goto(PUBLIC[name])
    background, ink = styles(dark_page, "body", "backgroundColor", "color")
    assert contrast(colour(background), "#000000") < 1.5 and contrast(colour(ink), colour(background)) >= 7
    site.audit(dark_page, f"dark-{name}")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_security_center_in_both_schemes(browser, live_site, person, scheme) -> None:
    for page in _watched_page(browser, live_site, color_scheme=scheme):
        signed_in(page, person)
        live_site.audit(page, f"{scheme}-security")
        for section in SECTIONS:
            open_section(page, section)
            live_site.audit(page, f"{scheme}-security-" + section.split()[0].lower())


def test_the_consoles_in_dark_mode(dark_page, site, person) -> None:
    staff = person(roles=["support", "admin"], totp=True)
    sign_in_with_totp(dark_page, site, staff)
    for path in ("/admin/maintenance", "/admin/accounts", "/support", "/support/search?q=example.com"):
        dark_page.goto(path)
        site.audit(dark_page, "dark" + path.split("?")[0].replace("/", "-"))


@pytest.mark.parametrize("accent", ["#e8590c", "#ffdd00", "#0b7a75"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_brand_colour_keeps_the_pages_readable(browser, live_site, person, accent, scheme) -> None:
    """The theme a brand colour makes (/brand/theme.css), added after bastion.css as the pages link it."""
    for page in _watched_page(browser, live_site, color_scheme=scheme):
        def with_theme(route: Any) -> None:
            shipped = route.fetch()
            route.fulfill(response=shipped, body=shipped.text() + theme_css(accent))
        page.route("**/static/bastion.css*", with_theme)
        signed_in(page, person)
        page.wait_for_load_state("load")  # the stylesheet, fetched through the route, has been applied
        (header,) = styles(page, ".top", "backgroundColor")
        assert colour(header) == accent
        name = f"brand-{accent[1:]}-{scheme}"
        live_site.audit(page, f"{name}-security")
        page.context.clear_cookies()
        page.goto("/login")
        live_site.audit(page, f"{name}-login")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_stands_out_in_both_schemes(browser, live_site, scheme) -> None:
    for page in _watched_page(browser, live_site, color_scheme=scheme):
        page.goto("/login")
        for selector, behind in (("#email", ".card"), ("button.primary", ".card"), (".foot a", "body"),
                                 (".brand", ".top")):
            page.locator(selector).first.focus()
            page.keyboard.press("Shift+Tab")
            page.keyboard.press("Tab")  # a keyboard focus: :focus-visible
            ring, width = styles(page, selector, "outlineColor", "outlineWidth")
            (background,) = styles(page, behind, "backgroundColor")
            assert float(width.removesuffix("px")) >= 2, selector
            assert contrast(colour(ring), colour(background)) >= 3, (scheme, selector, ring, background)


def test_right_to_left_pages_mirror_and_keep_codes_left_to_right(page, site) -> None:
    # Arabic sets dir="rtl" on <html>; the page is in Arabic, so its fields are found by their ids.
    page.context.add_cookies([{"name": "bastion_lang", "value": "ar", "url": site.base_url}])
    page.goto("/login")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator("#email").fill("nobody@example.com")
    page.locator("#password").fill("not my password, sorry")
    page.locator("#password-sign-in button[type=submit]").click()
    page.locator(".alert").wait_for()
    right, left = styles(page, ".alert", "borderRightWidth", "borderLeftWidth")
    assert (right, left) == ("4px", "1px")  # the accent bar on the side the text starts from
    assert styles(page, ".alert .reference code", "direction", "unicodeBidi") == ["ltr", "isolate"]
    assert styles(page, "#email", "direction") == ["ltr"]
    card = page.locator(".card").first.bounding_box()
    heading = page.locator("h1").first.bounding_box()
    assert heading["x"] + heading["width"] > card["x"] + card["width"] - 40  # the title starts at the right
    site.audit(page, "rtl-login-refused")


def test_times_turn_local_at_once_and_the_zone_is_kept_for_the_next_page(browser, live_site, person) -> None:
    for page in _watched_page(browser, live_site, timezone_id="Europe/Paris", locale="en-GB"):
        signed_in(page, person)
        open_section(page, "Sessions and devices")
        shown = page.locator("time[datetime]").first
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d (CET|CEST)", shown.inner_text()), shown.inner_text()
        if page.locator("html").get_attribute("data-zone") == "UTC":
            assert (shown.get_attribute("title") or "").endswith(" UTC")  # written in UTC, turned local here
        cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
        assert cookies["bastion_tz"]["value"] == "Europe%2FParis" and cookies["bastion_tz"]["sameSite"] == "Lax"
        live_site.audit(page, "sessions-local-times")
