"""In the browser: a sign-in from a new place asks for the emailed code on a page, then signs in."""

from __future__ import annotations

import re

from tests.conftest import DEFAULT_PASSWORD
from tests.risk.conftest import DE, GB, Risky


def test_the_emailed_code_finishes_a_browser_sign_in_from_a_new_country(risky: Risky, person, clock) -> None:  # type: ignore[no-untyped-def]
    assert risky.login(person["email"], GB).json()["status"] == "authenticated"
    clock.advance(hours=12)
    headers = {"X-Forwarded-For": DE, "X-Device-Id": risky.device_id("laptop")}
    client = risky.client
    client.get("/login", headers=headers)
    answer = client.post("/login", headers=headers, follow_redirects=False,
                         data={"email": person["email"], "password": DEFAULT_PASSWORD,
                               "csrf_token": client.cookies.get("bastion_csrf")})
    assert answer.status_code == 303 and answer.headers["location"] == "/login/device-code"
    asked = client.get(answer.headers["location"], headers=headers)
    assert asked.status_code == 200 and "Confirm it's you" in asked.text
    assert 'autocomplete="one-time-code"' in asked.text
    code, _, _ = risky.verification_mail(person["email"], 1)
    form = {name: re.search(rf'name="{name}" value="([^"]*)"', asked.text).group(1)
            for name in ("csrf_token", "flow_id")}
    wrong = client.post("/login/device-code", headers=headers, data={**form, "code": "000000"})
    assert "Reference" in wrong.text and "device.code_invalid" not in wrong.text
    form["csrf_token"] = re.search(r'name="csrf_token" value="([^"]*)"', wrong.text).group(1)
    done = client.post("/login/device-code", headers=headers, data={**form, "code": code}, follow_redirects=False)
    assert done.status_code == 303 and done.cookies.get("bastion_session")
