"""Every route and page that checks a password, a code or a token is budgeted by the guard.

The routes are found from the app itself (any parameter or body field named like a secret), so a
new one cannot be missed: it needs a probe here, or a reason why it checks no secret. Each probe
sends wrong answers until the route refuses with a pause, and shows that the pause carries
`Retry-After` and the same reason code the sign-in page would give (`account.locked` for
passwords, `mfa.locked` for second factors, `device.locked` for emailed device codes, the
network's `ip.throttled` for tokens), and that the owner was emailed once about it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bastion.help.references import explain_reference
from bastion.oidc.clients import NewClient, create_client
from tests.conftest import DEFAULT_PASSWORD
from tests.help.conftest import HOME_IP, Lab, bearer
from tests.recovery.conftest import png
from tests.routes import every_route

SECRET_NAMES = {"password", "current_password", "code", "totp", "backup_code", "credential", "token", "secret",
                "x-case-token"}
WRONG = "not the password at all 1"
FAKE_TOKEN = "t" * 43
APP_CALLBACK = "https://app.example/callback"
CHECKS_NO_SECRET = {
    ("POST", "/v1/accounts"): "sign-up sets a password, checks none",
    ("POST", "/signup"): "sign-up sets a password, checks none",
    ("POST", "/v1/me/totp/confirm"): "proves the new app works: this session was shown its key; nothing is guessed",
    ("POST", "/security/totp/confirm"): "proves the new app works: this session was shown its key; nothing is guessed",
    ("POST", "/v1/me/passkeys"): "registers a passkey (a signed challenge of this session's); checks no secret",
    ("POST", "/security/passkeys/add"): "registers a passkey (a signed challenge of this session's); checks no secret",
    ("PUT", "/v1/me/anti-phishing-code"): "sets the anti-phishing code; checks none",
    ("GET", "/confirm"): "shows the confirmation button; its POST checks the token",
    ("GET", "/freeze"): "shows the freeze button; its POST checks the token",
    ("GET", "/recovery/cancel"): "shows the cancel button; its POST checks the token",
    ("POST", "/security/anti-phishing-code"): "sets the anti-phishing code; checks none",
    ("GET", "/security/staff-enrolment"): "shows the staff enrolment link's button; its POST checks the token",
}


def _names(dependant: Any) -> set[str]:
    found: set[str] = set()
    for param in (*dependant.query_params, *dependant.header_params, *dependant.body_params, *dependant.path_params):
        found.add(param.alias.lower())
        fields = getattr(param.field_info.annotation, "model_fields", None) or {}
        found |= {name.lower() for name in fields}
    for sub in dependant.dependencies:
        found |= _names(sub)
    return found


# Routes that read their body by hand (no declared parameter to find): an app's client secret in the
# Authorization header or the body (RFC 6749 §2.3.1), and the upload page's streamed form (its case link).
READ_BY_HAND = {("POST", "/oauth2/token"), ("POST", "/oauth2/introspect"), ("POST", "/oauth2/revoke"),
                ("POST", "/recovery/case/documents")}


def secret_routes(app: Any) -> set[tuple[str, str]]:
    declared = {(method, route.path) for route in every_route(app.routes) if _names(route.dependant) & SECRET_NAMES
                for method in route.methods}
    return declared | READ_BY_HAND


# Probes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Probe:
    kind: str  # what is guessed: "password", "second_factor", "device_code", "token"
    send: Callable[[Lab, dict[str, Any]], Any]  # one wrong answer; the account is the lab's victim
    signed_in: bool = False  # the victim must be signed in (with 2FA for second factors)


PAUSES = {"password": "account.locked", "second_factor": "mfa.locked", "device_code": "device.locked",
          "token": "ip.throttled", "client_secret": "temporarily_unavailable"}
PAUSE_EMAILS = {"password": "sign_in_locked", "second_factor": "mfa_locked", "device_code": "mfa_locked"}


def page_csrf(lab: Lab, path: str, headers: dict[str, str] | None = None) -> str:
    page = lab.client.get(path, headers=headers or {})
    found = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert found, (path, page.status_code, page.text[:500])
    return found.group(1)


def form(lab: Lab, path: str, data: dict[str, str], page: str | None = None,
         headers: dict[str, str] | None = None) -> Any:
    sent = {"X-Forwarded-For": HOME_IP, **(headers or {})}
    answer = lab.client.post(path, data={**data, "csrf_token": page_csrf(lab, page or path, sent)}, headers=sent,
                             follow_redirects=False)
    if answer.status_code == 303 and "bastion_refusal=" in answer.headers.get("set-cookie", ""):
        return lab.client.get(answer.headers["location"], headers=sent, follow_redirects=False)  # a sign-in page, again
    return answer


def signed_in_form(lab: Lab, victim: dict[str, Any], path: str, data: dict[str, str]) -> Any:
    lab.client.cookies.set("bastion_session", victim["token"])
    return form(lab, path, data, page="/security")


def wrong_code(lab: Lab, victim: dict[str, Any]) -> str:
    return lab.wrong_code(victim["secret"])


def mfa_step(lab: Lab, victim: dict[str, Any]) -> Any:
    """A wrong authenticator code, each in a new sign-in when the last one is over."""
    flow = victim.get("flow")
    answer = lab.step(flow, "totp", wrong_code(lab, victim)) if flow else None
    if answer is None or answer.json()["code"] in {"mfa.attempts_exceeded", "flow.not_found"}:
        victim["flow"] = lab.mfa_flow(victim)
        answer = lab.step(victim["flow"], "totp", wrong_code(lab, victim))
    return answer


def mfa_page_step(lab: Lab, victim: dict[str, Any]) -> Any:
    flow = lab.mfa_flow(victim)
    return form(lab, "/login/second-step", {"flow_id": flow, "method": "totp", "methods": "totp,backup_code",
                                             "code": wrong_code(lab, victim)}, page="/login",
                headers={"X-Device-Id": lab.device_id("laptop")})


def device_step(lab: Lab, victim: dict[str, Any], page: bool = False) -> Any:
    """A wrong emailed code, in a new sign-in when the last one is over (each code's own 5 tries end it)."""
    if victim.get("device_flow") is None or victim.get("device_tries", 0) >= 4 or victim.get("device_over"):
        victim["device_flow"], victim["device_tries"] = lab.device_flow(victim), 0
    flow = victim["device_flow"]
    victim["device_tries"] += 1
    wrong = "000000" if lab.device_code(victim["email"]) != "000000" else "111111"
    if page:
        answer = form(lab, "/login/device-code", {"flow_id": flow, "code": wrong}, page="/login",
                      headers={"X-Device-Id": lab.device_id("phone")})
    else:
        answer = lab.step(flow, "device", wrong, device="phone")
    victim["device_over"] = answer.status_code != 401  # anything but "wrong code" ends this sign-in
    return answer


def app_client(lab: Lab) -> tuple[str, str]:
    """An app registered to sign people in through Bastion: its id and secret."""
    row, secret = create_client(lab.services, NewClient(name="Trading app", redirect_uris=(APP_CALLBACK,),
                                                        first_party=True))
    assert secret is not None
    return row.id, secret


def oidc_confirm(lab: Lab, victim: dict[str, Any]) -> Any:
    """An app asks the signed-in person to confirm it's them (`prompt=login`); a wrong password."""
    lab.client.cookies.set("bastion_session", victim["token"])
    if "oidc_confirm" not in victim:
        client_id, _ = app_client(lab)
        lab.clock.advance(seconds=2)  # the sign-in is older than the request: `prompt=login` asks again
        verifier = "v" * 64
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        asked = lab.client.get("/oauth2/authorize", params={
            "client_id": client_id, "redirect_uri": APP_CALLBACK, "response_type": "code", "scope": "openid",
            "state": "s" * 16, "nonce": "n" * 16, "code_challenge": challenge, "code_challenge_method": "S256",
            "prompt": "login"}, follow_redirects=False)
        found = re.search(r'action="(/oauth2/confirm/[^"]+)"', asked.text)
        assert found, asked.text[:500]
        victim["oidc_confirm"] = found.group(1)
    path = victim["oidc_confirm"]
    return form(lab, path, {"method": "password", "secret": WRONG}, page=path)


def client_secret_guess(path: str) -> Callable[[Lab, dict[str, Any]], Any]:
    def send(lab: Lab, victim: dict[str, Any]) -> Any:
        if "app" not in victim:
            victim["app"] = app_client(lab)
        client_id, secret = victim["app"]
        return lab.client.post(path, data={"grant_type": "refresh_token", "refresh_token": "r" * 43,
                                           "token": "a" * 43},
                               auth=(client_id, secret[:-4] + "xxxx"), headers={"X-Forwarded-For": HOME_IP})
    return send


def case_request(kind: str) -> Callable[[Lab, dict[str, Any]], Any]:
    def send(lab: Lab, victim: dict[str, Any]) -> Any:
        return lab.client.post(kind, json={"email": victim["email"], "password": WRONG},
                               headers={"X-Forwarded-For": HOME_IP})
    return send


def api(method: str, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> Callable[..., Any]:
    def send(lab: Lab, victim: dict[str, Any]) -> Any:
        sent = {"X-Forwarded-For": HOME_IP, **(headers or {})}
        if victim.get("token"):
            sent.update(bearer(victim["token"]))
        return lab.client.request(method, path.format(**victim), json=body, headers=sent)
    return send


def token_get(path: str) -> Callable[..., Any]:
    return lambda lab, victim: lab.client.get(path, headers={"X-Forwarded-For": HOME_IP})


def token_form(path: str, page: str, extra: dict[str, str] | None = None) -> Callable[..., Any]:
    return lambda lab, victim: form(lab, path, {"token": FAKE_TOKEN, **(extra or {})}, page=page)


PROBES: dict[tuple[str, str], Probe] = {
    # Passwords: the sign-in's budgets wherever a password is checked.
    ("POST", "/v1/login"): Probe("password", lambda lab, victim: lab.login(victim["email"], WRONG, device=None)),
    ("POST", "/login"): Probe("password", lambda lab, victim: form(
        lab, "/login", {"email": victim["email"], "password": WRONG})),
    ("POST", "/v1/reauth"): Probe("password", api("POST", "/v1/reauth", {"password": WRONG}), signed_in=True),
    ("POST", "/security/confirm"): Probe("password", lambda lab, victim: signed_in_form(
        lab, victim, "/security/confirm", {"method": "password", "secret": WRONG, "back": "/security"}),
        signed_in=True),
    ("PUT", "/v1/me/password"): Probe("password", api("PUT", "/v1/me/password", {
        "current_password": WRONG, "new_password": "a brand new passphrase 42 kites"}), signed_in=True),
    ("POST", "/security/password"): Probe("password", lambda lab, victim: signed_in_form(
        lab, victim, "/security/password", {"current_password": WRONG,
                                            "new_password": "a brand new passphrase 42 kites"}), signed_in=True),
    ("POST", "/v1/mfa-reset"): Probe("password", case_request("/v1/mfa-reset")),
    ("POST", "/v1/unfreeze-request"): Probe("password", case_request("/v1/unfreeze-request")),
    ("POST", "/v1/allowlist-reset-request"): Probe("password", case_request("/v1/allowlist-reset-request")),
    ("POST", "/help/sign-in/allowlist-reset"): Probe("password", lambda lab, victim: form(
        lab, "/help/sign-in/allowlist-reset", {"email": victim["email"], "password": WRONG},
        page="/help/sign-in/restricted")),
    ("POST", "/recovery/{which}"): Probe("password", lambda lab, victim: form(
        lab, "/recovery/mfa-reset", {"email": victim["email"], "password": WRONG})),
    ("POST", "/help/sign-in/mfa-reset"): Probe("password", lambda lab, victim: form(
        lab, "/help/sign-in/mfa-reset", {"email": victim["email"], "password": WRONG}, page="/help/sign-in/lost-phone")),
    ("POST", "/help/sign-in/unfreeze-request"): Probe("password", lambda lab, victim: form(
        lab, "/help/sign-in/unfreeze-request", {"email": victim["email"], "password": WRONG},
        page="/help/sign-in/restricted")),
    ("POST", "/oauth2/confirm/{request_id}"): Probe("password", oidc_confirm, signed_in=True),
    # Apps' client secrets at the OpenID endpoints (in OAuth's own error format).
    ("POST", "/oauth2/token"): Probe("client_secret", client_secret_guess("/oauth2/token")),
    ("POST", "/oauth2/introspect"): Probe("client_secret", client_secret_guess("/oauth2/introspect")),
    ("POST", "/oauth2/revoke"): Probe("client_secret", client_secret_guess("/oauth2/revoke")),
    # Second factors: the account's second-step budget, at sign-in and at step-up alike.
    ("POST", "/v1/login/{flow_id}/{method}"): Probe("second_factor", mfa_step, signed_in=True),
    ("POST", "/login/second-step"): Probe("second_factor", mfa_page_step, signed_in=True),
    ("POST", "/v1/login/passkey"): Probe("token", api("POST", "/v1/login/passkey", {"credential": {
        "id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}})),
    ("POST", "/login/passkey"): Probe("token", lambda lab, victim: form(
        lab, "/login/passkey", {"credential": "{}"}, page="/login")),
    # Emailed device codes: the account's budget across sign-ins and resends.
    ("POST", "/v1/login/{flow_id}/device"): Probe("device_code", device_step),
    ("POST", "/login/device-code"): Probe("device_code", lambda lab, victim: device_step(lab, victim, page=True)),
    # Tokens of emailed links: made-up ones count against the network.
    ("POST", "/v1/accounts/verify-email"): Probe("token", api("POST", "/v1/accounts/verify-email",
                                                              {"token": FAKE_TOKEN})),
    ("POST", "/confirm"): Probe("token", token_form("/confirm", "/login")),
    ("POST", "/v1/password-reset/confirm"): Probe("token", api("POST", "/v1/password-reset/confirm", {
        "token": FAKE_TOKEN, "new_password": "a brand new passphrase 42 kites"})),
    ("GET", "/password-reset/confirm"): Probe("token", token_get(f"/password-reset/confirm?token={FAKE_TOKEN}")),
    ("POST", "/password-reset/confirm"): Probe("token", token_form(
        "/password-reset/confirm", "/login", {"new_password": "a brand new passphrase 42 kites"})),
    ("POST", "/v1/freeze"): Probe("token", api("POST", "/v1/freeze", {"token": FAKE_TOKEN})),
    ("POST", "/freeze"): Probe("token", token_form("/freeze", "/login")),
    ("POST", "/v1/mfa-reset/cancel"): Probe("token", api("POST", "/v1/mfa-reset/cancel", {"token": FAKE_TOKEN})),
    ("POST", "/recovery/cancel"): Probe("token", token_form("/recovery/cancel", "/login")),
    ("POST", "/v1/me/staff-enrolment"): Probe("token", api("POST", "/v1/me/staff-enrolment", {"token": FAKE_TOKEN}),
                                              signed_in=True),
    ("POST", "/security/staff-enrolment"): Probe("token", lambda lab, victim: signed_in_form(
        lab, victim, "/security/staff-enrolment", {"token": FAKE_TOKEN}), signed_in=True),
    ("GET", "/login/device"): Probe("token", token_get(f"/login/device?token={FAKE_TOKEN}")),
    ("POST", "/login/device"): Probe("token", token_form("/login/device", "/login")),
    ("GET", "/v1/recovery-cases/{case_id}"): Probe("token", api(
        "GET", f"/v1/recovery-cases/{'c' * 36}", {}, {"X-Case-Token": FAKE_TOKEN})),
    ("POST", "/v1/recovery-cases/{case_id}/documents"): Probe("token", lambda lab, victim: lab.client.post(
        f"/v1/recovery-cases/{'c' * 36}/documents", headers={"X-Case-Token": FAKE_TOKEN, "X-Forwarded-For": HOME_IP},
        data={"kind": "id_front"}, files={"file": ("id.png", png(), "image/png")})),
    ("POST", "/v1/mfa-reset/{case_id}/documents"): Probe("token", lambda lab, victim: lab.client.post(
        f"/v1/mfa-reset/{'c' * 36}/documents", headers={"X-Case-Token": FAKE_TOKEN, "X-Forwarded-For": HOME_IP},
        data={"kind": "id_front"}, files={"file": ("id.png", png(), "image/png")})),
    ("GET", "/recovery/case"): Probe("token", token_get(f"/recovery/case?case={'c' * 36}&token={FAKE_TOKEN}")),
    ("POST", "/recovery/case/documents"): Probe("token", lambda lab, victim: lab.client.post(
        "/recovery/case/documents", headers={"X-Forwarded-For": HOME_IP},
        data={"case": "c" * 36, "token": FAKE_TOKEN, "kind": "id_front",
              "csrf_token": page_csrf(lab, "/login", {"X-Forwarded-For": HOME_IP})},
        files={"file": ("id.png", png(), "image/png")})),
}


def code_of(lab: Lab, answer: Any) -> str | None:
    """The reason of a refusal: from problem+json, or from the reference a page shows."""
    if answer.status_code < 400:
        return None
    if answer.headers.get("content-type", "").startswith("application/problem+json"):
        return str(answer.json()["code"])
    if answer.headers.get("content-type", "").startswith("application/json"):
        return str(answer.json()["error"])  # OAuth's error format (RFC 6749 §5.2)
    found = re.search(r"\bR-[0-9A-Z]{8}\b", answer.text)
    assert found, answer.text[:1000]
    return explain_reference(lab.services, found.group(0), staff=True).reason.code


def test_every_route_that_takes_a_secret_has_a_probe(lab: Lab) -> None:
    found = secret_routes(lab.client.app)
    assert len(found) > 30, sorted(found)
    unprobed = found - set(PROBES) - set(CHECKS_NO_SECRET)
    assert not unprobed, f"routes that take a secret without a guard probe: {sorted(unprobed)}"
    assert not (set(PROBES) - found), f"probes of routes that no longer exist: {sorted(set(PROBES) - found)}"


@pytest.mark.parametrize("route", sorted(PROBES), ids=lambda route: f"{route[0]} {route[1]}")
def test_wrong_answers_lead_to_a_pause_that_says_when_it_ends(route: tuple[str, str],
                                                               lab_factory: Callable[..., Lab]) -> None:
    probe = PROBES[route]
    # A small network budget keeps the token probes short; the others spend the usual one (their own
    # budgets pause first: 5 passwords, 10 second steps or device codes).
    lab = lab_factory(rate_limits="8/10m/ip,400/10m/subnet") if probe.kind == "token" else lab_factory()
    victim = lab.enrolled() if probe.kind == "second_factor" else (
        lab.signed_in() if probe.signed_in else lab.account())
    lab.client.cookies.clear()
    if not probe.signed_in:
        victim.pop("token", None)
    codes = []
    for _ in range(30):
        answer = probe.send(lab, victim)
        codes.append(code_of(lab, answer))
        if codes[-1] == PAUSES[probe.kind]:
            break
    assert codes[-1] == PAUSES[probe.kind], (route, codes)
    assert answer.headers.get("retry-after", "").isdigit(), (route, dict(answer.headers))
    if probe.kind in PAUSE_EMAILS:
        paused = [mail for mail in lab.mailbox.messages(victim["email"])
                  if mail["template"] == PAUSE_EMAILS[probe.kind]]
        assert len(paused) == 1, (route, codes, [mail["template"] for mail in lab.mailbox.messages(victim["email"])])
        # Still paused, still one email.
        assert code_of(lab, probe.send(lab, victim)) == PAUSES[probe.kind]
        assert len([mail for mail in lab.mailbox.messages(victim["email"])
                    if mail["template"] == PAUSE_EMAILS[probe.kind]]) == 1
    assert DEFAULT_PASSWORD not in str(codes)
