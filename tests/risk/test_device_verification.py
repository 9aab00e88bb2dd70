"""Device verification through the real SMTP sink (requirements §20), the new sign-in email (requirements §21),
trust (20), the device list and the activity in words (18)."""

from __future__ import annotations

import re

from bastion.context import Client
from bastion.recovery.password_reset import confirm_password_reset, request_password_reset
from bastion.web.client import is_signed_device_id
from tests.conftest import DEFAULT_PASSWORD, link_token
from tests.risk.conftest import DE, GB, MAC_CHROME, Risky
from tests.risk.test_risk_sign_in import new_person, status

NEW_PASSWORD = "amber quarry lantern 57 orchard"


def ask_from_germany(risky: Risky, clock, remember: bool = False) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A known GB account signs in from Germany: (email, flow id) of the verification asked."""
    email = new_person(risky)
    assert status(risky.login(email, GB)) == "authenticated"
    clock.advance(hours=12)
    asked = risky.login(email, DE, remember=remember)
    assert status(asked) == "device_verification_required"
    return email, asked.json()["flow"]["id"]


def test_the_email_shows_device_place_ip_time_code_link_and_freeze_and_the_code_works_once(
        risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, flow = ask_from_germany(risky, clock)
    code, _, text = risky.verification_mail(email, 1)
    assert "Chrome on macOS" in text and "Germany" in text and DE in text and "/freeze?token=" in text
    assert "15 minutes" in text and "Was this NOT you?" in text
    _, _, html = [mail for mail in risky.mails(email, 1) if mail[0].startswith("Confirm")][-1]
    assert code in html and "freeze my account" in html
    signed_in = risky.device_code(flow, code, DE)
    assert status(signed_in) == "authenticated"
    again = risky.device_code(flow, code, DE)
    assert status(again) == "flow.not_found"


def test_a_second_email_voids_the_first(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, first_flow = ask_from_germany(risky, clock)
    first_code, _, _ = risky.verification_mail(email, 1)
    second = risky.login(email, DE)
    assert status(second) == "device_verification_required"
    second_code, _, _ = risky.verification_mail(email, 2)
    assert status(risky.device_code(first_flow, first_code, DE)) == "device.verification_expired"
    assert status(risky.device_code(second.json()["flow"]["id"], second_code, DE)) == "authenticated"


def test_the_code_expires_after_15_minutes(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, flow = ask_from_germany(risky, clock)
    code, _, _ = risky.verification_mail(email, 1)
    clock.advance(minutes=15, seconds=1)
    assert risky.device_code(flow, code, DE).status_code in {410}


def test_only_the_device_that_passed_the_password_may_verify(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, flow = ask_from_germany(risky, clock)
    code, _, _ = risky.verification_mail(email, 1)
    assert status(risky.device_code(flow, code, DE, device="someone-else")) == "flow.not_found"
    assert status(risky.device_code(flow, code, DE)) == "authenticated"


def test_five_wrong_codes_void_the_flow(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, flow = ask_from_germany(risky, clock)
    code, _, _ = risky.verification_mail(email, 1)
    wrong = "000000" if code != "000000" else "111111"
    answers = [status(risky.device_code(flow, wrong, DE)) for _ in range(5)]
    assert answers == ["device.code_invalid"] * 4 + ["device.attempts_exceeded"]
    assert status(risky.device_code(flow, code, DE)) == "flow.not_found"


def test_the_link_shows_a_button_and_only_the_post_signs_in(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, _ = ask_from_germany(risky, clock)
    _, token, _ = risky.verification_mail(email, 1)
    browser = {"X-Forwarded-For": DE, "User-Agent": MAC_CHROME, "X-Device-Id": risky.device_id("laptop")}
    page = risky.client.get(f"/login/device?token={token}", headers=browser)
    assert page.status_code == 200 and "continue signing in" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    page_again = risky.client.get(f"/login/device?token={token}", headers=browser)
    assert page_again.status_code == 200  # the GET used nothing
    done = risky.client.post("/login/device", data={"token": token, "csrf_token": csrf.group(1)},
                             headers=browser, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert "bastion_session" in done.headers.get("set-cookie", "")
    used = risky.client.get(f"/login/device?token={token}", headers=browser)
    assert used.status_code == 410


def test_no_this_was_not_me_freezes_the_account(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, flow = ask_from_germany(risky, clock)
    code, _, text = risky.verification_mail(email, 1)
    token = link_token(text, "/freeze?token=")
    assert risky.client.post("/v1/freeze", json={"token": token}).status_code == 200
    assert status(risky.device_code(flow, code, DE)) == "account.frozen"
    assert status(risky.login(email, GB)) == "account.frozen"


def test_remember_device_trusts_it_until_the_password_changes(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, flow = ask_from_germany(risky, clock, remember=True)
    code, _, _ = risky.verification_mail(email, 1)
    token = risky.device_code(flow, code, DE).json()["session"]["token"]
    devices = risky.client.get("/v1/me/devices", headers={"Authorization": f"Bearer {token}",
                                                          "X-Device-Id": risky.device_id("laptop")}).json()["devices"]
    assert devices[0]["trusted_until"] is not None and devices[0]["location"] == "Germany"
    # Trusted: back in the UK, then Germany again a day later, no question asked (GB and DE both seen).
    clock.advance(days=1)
    assert status(risky.login(email, GB)) == "authenticated"
    # A brand-new country on the trusted device: still no question while trusted.
    clock.advance(days=1)
    assert status(risky.login(email, "133.242.0.3")) == "authenticated"
    # The password changes: the trust is gone, the next unusual sign-in asks again.
    client = Client(ip=GB, user_agent=None, device_id=None, platform=None, version=None)
    request_password_reset(risky.services, email, client)
    reset = risky.mail_titled(email, "Set a new password")[1]
    confirm_password_reset(risky.services, link_token(reset, "token="), NEW_PASSWORD, client)
    clock.advance(days=1)
    assert status(risky.login(email, "85.214.132.117", password=NEW_PASSWORD)) == "authenticated"  # DE: seen
    assert status(risky.login(email, "1.1.1.1", password=NEW_PASSWORD)) == "device_verification_required"


def test_devices_are_listed_in_words_and_can_be_forgotten(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email = new_person(risky)
    token = risky.login(email, GB, device="laptop").json()["session"]["token"]
    risky.login(email, GB, device="phone")
    auth = {"Authorization": f"Bearer {token}", "X-Device-Id": risky.device_id("laptop")}
    devices = risky.client.get("/v1/me/devices", headers=auth).json()["devices"]
    assert {item["device"] for item in devices} == {"Chrome on macOS"}
    assert {item["location"] for item in devices} == {"United Kingdom"} and devices[0]["last_ip"] == GB
    phone = next(item for item in devices if not item["current"])
    assert risky.client.delete(f"/v1/me/devices/{phone['id']}", headers=auth).status_code == 204
    assert risky.client.delete(f"/v1/me/devices/{phone['id']}", headers=auth).status_code == 404
    assert len(risky.client.get("/v1/me/devices", headers=auth).json()["devices"]) == 1


def test_an_identifier_bastion_did_not_sign_is_no_device_and_is_answered_a_signed_one(risky: Risky) -> None:
    """Requirements §18: a made-up identifier is as none — each sign-in sending it is answered a fresh signed
    one, and the account never comes to know the made-up one."""
    email = new_person(risky)
    made_up = {"X-Forwarded-For": GB, "User-Agent": MAC_CHROME, "X-Device-Id": "laptop"}
    sign_ins = []
    for _ in range(2):
        risky.client.cookies.clear()  # an app: it keeps no cookie, only the identifier it sends
        sign_ins.append(risky.client.post("/v1/login", json={"email": email, "password": DEFAULT_PASSWORD},
                                          headers=made_up).json())
    issued = [answer.get("device_id") for answer in sign_ins]
    assert all(device and is_signed_device_id(risky.services.keys, device) for device in issued), sign_ins
    assert issued[0] != issued[1]  # the second sign-in was no known device either
    auth = {"Authorization": f"Bearer {sign_ins[1]['session']['token']}"}
    risky.client.cookies.clear()
    as_made_up = risky.client.get("/v1/me/devices", headers={**made_up, **auth}).json()["devices"]
    assert len(as_made_up) == 2 and not any(item["current"] for item in as_made_up)
    as_issued = risky.client.get("/v1/me/devices", headers={**auth, "X-Device-Id": issued[1]}).json()["devices"]
    assert [item["current"] for item in as_issued].count(True) == 1


def test_a_new_device_sign_in_emails_the_owner_with_the_previous_sign_in(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email = new_person(risky)
    assert status(risky.login(email, GB, device="laptop")) == "authenticated"
    clock.advance(hours=1)
    assert status(risky.login(email, GB, device="phone")) == "authenticated"
    text = risky.mail_titled(email, "New sign-in to your account")[1]
    assert "a new device" in text and "Chrome on macOS" in text and "United Kingdom" in text and GB in text
    assert "Your sign-in before this one" in text and "/freeze?token=" in text


def test_activity_shows_device_and_location_in_words(risky: Risky) -> None:
    email = new_person(risky)
    token = risky.login(email, DE).json()["session"]["token"]
    items = risky.client.get("/v1/me/activity", headers={"Authorization": f"Bearer {token}"}).json()["items"]
    assert items[0]["device"] == "Chrome on macOS" and items[0]["location"] == "Germany"
    risky.client.cookies.set("bastion_session", token)
    activity = risky.client.get("/security/activity", headers={"X-Forwarded-For": DE})
    assert "Chrome on macOS, Germany" in activity.text


def test_device_verification_comes_before_the_second_factor(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.mfa.conftest import code_at

    email = new_person(risky)
    token = risky.login(email, GB).json()["session"]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    setup = risky.client.post("/v1/me/totp/setup", headers=auth).json()
    assert risky.client.post("/v1/me/totp/confirm", headers=auth,
                             json={"code": code_at(setup["secret"], clock)}).status_code == 200
    clock.advance(hours=12)
    asked = risky.login(email, DE)
    assert status(asked) == "device_verification_required"  # not a word about the enrolled factors
    assert "methods" not in asked.json()["flow"]
    code, _, _ = risky.verification_mail(email, 2)
    flow = asked.json()["flow"]["id"]
    second = risky.device_code(flow, code, DE)
    assert status(second) == "mfa_required" and second.json()["flow"]["id"] == flow
    done = risky.client.post(f"/v1/login/{flow}/totp", json={"code": code_at(setup["secret"], clock)},
                             headers={"X-Forwarded-For": DE, "User-Agent": MAC_CHROME,
                                      "X-Device-Id": risky.device_id("laptop")})
    assert status(done) == "authenticated"
