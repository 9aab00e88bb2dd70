"""What the service diagnoses itself: cookies refused at the sign-in form, maintenance now, an
outdated app or browser, and the time to set a phone's clock by."""

from __future__ import annotations

import re
from datetime import timedelta

from bastion.help.diagnoses import check_browser
from bastion.ops.client_versions import set_policy
from bastion.ops.maintenance import start_maintenance
from tests.conftest import DEFAULT_PASSWORD
from tests.help.conftest import Lab


def _fresh_form(lab: Lab) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', lab.client.get("/login").text)
    assert found
    return found.group(1)


def _post_login(lab: Lab, token: str, **headers: str):  # type: ignore[no-untyped-def]
    return lab.client.post("/login", data={"email": "a@example.com", "password": DEFAULT_PASSWORD,
                                           "csrf_token": token}, headers=headers)


def test_our_own_form_coming_back_without_any_cookie_is_diagnosed_as_cookies_blocked(lab: Lab) -> None:
    token = _fresh_form(lab)
    for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://testserver"}):
        lab.client.cookies.clear()  # what a browser that refuses cookies sends back: none
        answer = _post_login(lab, token, **headers)
        assert answer.status_code == 400 and "Cookies are blocked" in answer.text
        assert "Allow cookies for this site in your browser settings." in answer.text


def test_a_forged_or_expired_form_stays_page_expired(lab: Lab) -> None:
    token = _fresh_form(lab)
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
        lab.client.cookies.clear()
        answer = _post_login(lab, token, **headers)
        assert answer.status_code == 403 and "Page expired" in answer.text, headers
    lab.client.cookies.clear()
    lab.client.get("/help/sign-in/browser")  # another cookie came back: the browser does keep cookies
    assert _post_login(lab, token, **{"Sec-Fetch-Site": "same-origin"}).status_code == 403
    assert _post_login(lab, "not-a-token", **{"Sec-Fetch-Site": "same-origin"}).status_code == 403


def test_the_diagnosis_endpoint_reports_the_clock_maintenance_app_and_browser(lab: Lab) -> None:
    calm = lab.client.get("/v1/help/diagnosis").json()
    assert calm["server_time"] == "2026-01-05T09:00:00Z" and calm["maintenance_now"] is None
    assert calm["app"]["outdated"] is False and calm["browser"]["name"] is None
    start_maintenance(lab.services, timedelta(minutes=20), "Short upgrade.")
    set_policy(lab.services, "ios", "2.0.0", "2.5.0", "https://apps.example.com/ios")
    headers = {"X-Client-Platform": "ios", "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 12_0 like Mac OS X) "
               "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0 Mobile/15E148 Safari/604.1"}
    old = lab.client.get("/v1/help/diagnosis", headers={**headers, "X-Client-Version": "1.4.0"}).json()
    assert old["maintenance_now"] == {"starts_at": "2026-01-05T09:00:00Z", "ends_at": "2026-01-05T09:20:00Z",
                                      "message": "Short upgrade."}
    assert old["app"] == {"platform": "ios", "version": "1.4.0", "outdated": True, "minimum_version": "2.0.0",
                          "update_available": False, "update_url": "https://apps.example.com/ios"}
    assert old["browser"] == {"name": "Mobile Safari", "version": 12, "minimum_version": 14, "outdated": True}
    behind = lab.client.get("/v1/help/diagnosis", headers={**headers, "X-Client-Version": "2.1.0"}).json()
    assert behind["app"]["outdated"] is False and behind["app"]["update_available"] is True


def test_browsers_are_judged_by_family_and_major_version() -> None:
    assert check_browser(None).name is None and not check_browser(None).outdated
    assert check_browser("curl/8.5.0").outdated is False
    edge = check_browser("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/79.0.3945.74 Safari/537.36 Edg/79.0.309.43")
    assert (edge.name, edge.version, edge.outdated) == ("Edge", 79, True)
