"""Every form a page posts carries a CSRF value, and a post without it changes nothing: signed-in
forms check the session's token, forms before sign-in the double-submit cookie."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from bastion.web.pages import router as pages_router
from tests.web.test_pages import REFERENCE, sign_in

# Plausible values for the fields some routes read before the CSRF check.
FIELDS = {"token": "t" * 43, "flow_id": "f" * 36, "case": "c" * 36, "email": "someone@example.com",
          "password": "violet harbor compass 93 lantern", "code": "123456", "reason": "a reason"}

PARAMS = {"which": "mfa-reset", "action": "unlock", "platform": "ios"}


def page_posts(routes) -> list[str]:  # type: ignore[no-untyped-def]
    """The POST routes of the page routers (each declares its own prefix), ids filled in."""
    paths = []
    for route in routes:
        included = getattr(route, "original_router", None) or getattr(route, "router", None)
        if included is not None and not isinstance(route, APIRoute):
            paths += page_posts(included.routes)
        elif isinstance(route, APIRoute) and "POST" in route.methods:
            paths.append(re.sub(r"\{([^}]+)\}", lambda name: PARAMS.get(name.group(1), "x" * 36), route.path))
    return sorted(paths)


def test_no_page_post_works_without_its_csrf_value(app_client, account_factory) -> None:
    account = account_factory(roles=["admin", "support"])
    assert sign_in(app_client, account["email"]).status_code == 303
    paths = page_posts(pages_router.routes)
    assert len(paths) > 30 and "/security/password" in paths and "/admin/maintenance/start" in paths
    for path in paths:
        if path.endswith("/options"):  # the passkey pages' script asks these for JSON
            answer = app_client.post(path, json={"flow_id": FIELDS["flow_id"]}, headers={"accept": "application/json"})
        else:
            answer = app_client.post(path, data=FIELDS, headers={"accept": "text/html"}, follow_redirects=False)
        assert answer.status_code == 403, (path, answer.status_code, answer.text[:300])
        if path.endswith("/options"):
            assert answer.json()["code"] == "csrf.invalid", path
        else:
            assert "Page expired" in answer.text, path
        assert REFERENCE.search(answer.text), path
    # Still signed in, nothing changed.
    assert app_client.get("/", follow_redirects=False).status_code == 200
