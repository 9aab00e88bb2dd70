"""The table, continued: second factors, device confirmation and passkeys (all after the password)."""

from __future__ import annotations

from typing import Any

from tests.help.conftest import HOME_IP, Lab
from tests.help.reason_table import row
from tests.mfa.authenticator import SoftAuthenticator


@row("mfa.required")
def _(lab: Lab, email: str) -> Any:
    """A device code sent to a sign-in that waits for the authenticator code."""
    flow = lab.mfa_flow(lab.enrolled())
    return lab.step(flow, "device", "123456")


@row("mfa.code_invalid")
def _(lab: Lab, email: str) -> Any:
    account = lab.enrolled()
    return lab.step(lab.mfa_flow(account), "totp", lab.wrong_code(account["secret"]))


@row("mfa.code_reused")
def _(lab: Lab, email: str) -> Any:
    account = lab.enrolled()
    code = lab.code(account["secret"])
    assert lab.step(lab.mfa_flow(account), "totp", code).json()["status"] == "authenticated"
    return lab.step(lab.mfa_flow(account), "totp", code)


@row("mfa.clock_skew")
def _(lab: Lab, email: str) -> Any:
    account = lab.enrolled()
    return lab.step(lab.mfa_flow(account), "totp", lab.code(account["secret"], offset_seconds=-150))


@row("mfa.backup_code_invalid")
def _(lab: Lab, email: str) -> Any:
    account = lab.enrolled()
    return lab.step(lab.mfa_flow(account), "backup-code", "0000-0000-0000-0000")


@row("mfa.attempts_exceeded")
def _(lab: Lab, email: str) -> Any:
    account = lab.enrolled()
    flow, wrong = lab.mfa_flow(account), lab.wrong_code(account["secret"])
    for _ in range(5):
        assert lab.step(flow, "totp", wrong).json()["code"] == "mfa.code_invalid"
    return lab.step(flow, "totp", wrong)


@row("mfa.locked")
def _(lab: Lab, email: str) -> Any:
    account = lab.enrolled()
    wrong = lab.wrong_code(account["secret"])
    flows = [lab.mfa_flow(account) for _ in range(3)]
    for flow in flows[:2]:
        for _ in range(5):
            assert lab.step(flow, "totp", wrong).json()["code"] == "mfa.code_invalid"
    return lab.step(flows[2], "totp", wrong)  # the account's 11th attempt in 15 minutes


@row("mfa.method_unavailable")
def _(lab: Lab, email: str) -> Any:
    flow = lab.mfa_flow(lab.enrolled())  # an authenticator app, no passkey
    return lab.client.post(f"/v1/login/{flow}/passkey/options")


@row("mfa.already_enrolled")
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/me/totp/setup", headers=lab.enrolled()["headers"])


@row("mfa.staff_enrolment_link_required")
def _(lab: Lab, email: str) -> Any:
    """A support account without a second factor tries to enrol one with its password session alone."""
    return lab.client.post("/v1/me/totp/setup", headers=lab.signed_in(roles=["support"])["headers"])


@row("mfa.setup_required")
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/me/totp/confirm", headers=lab.signed_in()["headers"], json={"code": "123456"})


@row("device.verification_required")
def _(lab: Lab, email: str) -> Any:
    """An authenticator code sent to a sign-in that waits for the emailed device code."""
    flow = lab.device_flow(lab.account())
    return lab.step(flow, "totp", "123456", device="phone")


@row("device.code_invalid")
def _(lab: Lab, email: str) -> Any:
    account = lab.account()
    flow = lab.device_flow(account)
    wrong = "000000" if lab.device_code(account["email"]) != "000000" else "111111"
    return lab.step(flow, "device", wrong, device="phone")


@row("device.attempts_exceeded")
def _(lab: Lab, email: str) -> Any:
    account = lab.account()
    flow = lab.device_flow(account)
    wrong = "000000" if lab.device_code(account["email"]) != "000000" else "111111"
    for _ in range(4):
        assert lab.step(flow, "device", wrong, device="phone").json()["code"] == "device.code_invalid"
    return lab.step(flow, "device", wrong, device="phone")


@row("device.locked")
def _(lab: Lab, email: str) -> Any:
    """Wrong codes across sign-ins: the account's budget (10 an hour), not only each code's five."""
    account = lab.account()
    answers: list[str] = []
    while "device.locked" not in answers and len(answers) < 20:
        flow = lab.device_flow(account)
        wrong = "000000" if lab.device_code(account["email"]) != "000000" else "111111"
        for _ in range(4):
            answers.append(lab.step(flow, "device", wrong, device="phone").json()["code"])
            if answers[-1] == "device.locked":
                break
    assert answers.count("device.code_invalid") == 10 and answers[-1] == "device.locked", answers
    return lab.step(lab.device_flow(account), "device", "123456", device="phone")


@row("device.verification_expired")
def _(lab: Lab, email: str) -> Any:
    """The first email's code after a second sign-in sent a newer one."""
    account = lab.account()
    first = lab.device_flow(account)
    code = lab.device_code(account["email"])
    assert lab.login(account["email"], device="phone").json()["status"] == "device_verification_required"
    return lab.step(first, "device", code, device="phone")


def _with_passkey(lab: Lab) -> tuple[dict[str, Any], SoftAuthenticator]:
    account, authenticator = lab.signed_in(), SoftAuthenticator()
    options = lab.client.post("/v1/me/passkeys/options", headers=account["headers"]).json()["publicKey"]
    created = lab.client.post("/v1/me/passkeys", headers=account["headers"],
                              json={"credential": authenticator.create(options), "name": "Laptop"})
    assert created.status_code == 201, created.text
    return account, authenticator


def _passwordless(lab: Lab, authenticator: SoftAuthenticator, **options: Any) -> Any:
    challenge = lab.client.post("/v1/login/passkey/options").json()["publicKey"]
    return lab.client.post("/v1/login/passkey", json={"credential": authenticator.get(challenge, **options)},
                           headers={"X-Forwarded-For": HOME_IP, "X-Device-Id": lab.device_id("laptop")})


@row("passkey.user_not_verified")
def _(lab: Lab, email: str) -> Any:
    _, authenticator = _with_passkey(lab)
    return _passwordless(lab, authenticator, user_verified=False)


@row("passkey.cloned")
def _(lab: Lab, email: str) -> Any:
    _, authenticator = _with_passkey(lab)
    assert _passwordless(lab, authenticator).json()["status"] == "authenticated"
    return _passwordless(lab, authenticator, sign_count=authenticator.sign_count)


@row("passkey.registration_failed")
def _(lab: Lab, email: str) -> Any:
    account, authenticator = _with_passkey(lab)
    options = lab.client.post("/v1/me/passkeys/options", headers=account["headers"]).json()["publicKey"]
    return lab.client.post("/v1/me/passkeys", headers=account["headers"],
                           json={"credential": authenticator.create(options), "name": "Again"})


@row("flow.expired")
def _(lab: Lab, email: str) -> Any:
    account = lab.enrolled()
    flow = lab.mfa_flow(account)
    lab.clock.advance(minutes=16)
    return lab.step(flow, "totp", lab.code(account["secret"]))
