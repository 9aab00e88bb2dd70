"""The pages anyone can open: each passes the accessibility check and is photographed at both widths."""

from __future__ import annotations

import pytest

PAGES = {
    "login": "/login",
    "signup": "/signup",
    "reset-request": "/password-reset",
    "status": "/status",
    "not-found": "/no-such-page",
}


@pytest.mark.parametrize("name", PAGES)
def test_public_page(page, site, name) -> None:
    page.goto(PAGES[name])
    site.audit(page, name)
