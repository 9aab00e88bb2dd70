"""Role checks on every console page: support and admin pages need the role and a session signed
in with a second factor; everyone else gets a page that says why, never the console."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from bastion.web.pages import router as pages_router
from tests.mfa.conftest import code_at, enrolled, login, signed_in  # noqa: F401 (fixtures)
from tests.web.test_pages import hidden, sign_in


def console_pages(routes, area: str) -> list[str]:  # type: ignore[no-untyped-def]
    paths = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            paths += console_pages(included.routes, area)
        elif isinstance(route, APIRoute) and "GET" in route.methods and route.path.startswith(area):
            paths.append(re.sub(r"\{[^}]+\}", "x" * 36, route.path))
    return sorted(paths)


ADMIN_PAGES = [path for path in console_pages(pages_router.routes, "/admin") if path != "/admin"]  # /admin redirects
SUPPORT_PAGES = console_pages(pages_router.routes, "/support")


def sign_in_with_code(app_client, account, clock) -> str:  # type: ignore[no-untyped-def]
    """Both steps through the pages; returns where the sign-in lands."""
    app_client.cookies.clear()
    step = sign_in(app_client, account["email"])
    form = {name: hidden(step.text, name) for name in ("csrf_token", "flow_id", "methods")}
    done = app_client.post("/login/second-step", data={**form, "method": "totp", "code": code_at(account["secret"], clock)},
                           follow_redirects=False)
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


def test_the_consoles_have_pages(app_client) -> None:
    assert "/admin/maintenance" in ADMIN_PAGES and "/admin/service-keys" in ADMIN_PAGES
    assert "/support" in SUPPORT_PAGES and "/support/cases/" + "x" * 36 in SUPPORT_PAGES


def test_signed_out_people_are_sent_to_sign_in(app_client) -> None:
    for path in ADMIN_PAGES + SUPPORT_PAGES:
        answer = app_client.get(path, follow_redirects=False)
        assert answer.status_code in (303, 307) and answer.headers["location"].startswith("/login"), path


def test_customers_and_staff_without_a_second_factor_are_refused(app_client, account_factory) -> None:
    customer = account_factory()
    sign_in(app_client, customer["email"])
    for path in ADMIN_PAGES + SUPPORT_PAGES:
        answer = app_client.get(path)
        assert answer.status_code == 403 and "Not allowed" in answer.text, path
        assert "permission.denied" not in answer.text
    staff = account_factory(roles=["admin"])
    app_client.cookies.clear()
    sign_in(app_client, staff["email"])
    answer = app_client.get("/admin/maintenance")
    assert answer.status_code == 403 and "2FA required for staff" in answer.text


def test_support_sees_the_support_console_but_not_the_admin_one(app_client, enrolled, clock) -> None:  # noqa: F811
    agent = enrolled(roles=["support"])
    sign_in_with_code(app_client, agent, clock)
    for path in ("/support", "/support/accounts", "/support/references"):
        assert app_client.get(path).status_code == 200, path
    home = app_client.get("/")
    assert 'href="/support"' in home.text and 'href="/admin"' not in home.text
    assert app_client.get("/admin/maintenance").status_code == 403
    assert app_client.get("/support/cases/unknown").status_code == 404
    assert app_client.get("/support/references?reference=R-AAAAAAAA").status_code == 404


def test_admins_see_both_consoles(app_client, enrolled, clock) -> None:  # noqa: F811
    admin = enrolled(roles=["admin"])
    sign_in_with_code(app_client, admin, clock)
    for path in ("/admin/maintenance", "/admin/client-versions", "/admin/accounts", "/admin/announcements",
                 "/admin/service-keys", "/support"):
        assert app_client.get(path).status_code == 200, path
