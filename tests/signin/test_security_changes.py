"""A sign-in started before a security change never finishes after it (issue 18, finding 3): a
password reset, a password change and a completed 2FA reset void the account's open flows, and a
flow written before the change — even one the void missed — is refused."""

from __future__ import annotations

from sqlalchemy import update

from bastion.recovery.completion import complete_due_cases
from bastion.signin.models import SignInFlow
from tests.conftest import DEFAULT_PASSWORD, link_token
from tests.help.conftest import Lab
from tests.recovery.conftest import upload_all

NEW_PASSWORD = "a brand new passphrase 42 kites"


def reset_password(lab: Lab, email: str) -> None:
    assert lab.client.post("/v1/password-reset", json={"email": email}).status_code == 202
    token = link_token(lab.mailbox.last(email)["text"], "/password-reset/confirm?token=")
    assert lab.client.post("/v1/password-reset/confirm",
                           json={"token": token, "new_password": NEW_PASSWORD}).status_code == 200


def test_a_second_step_started_before_a_password_reset_cannot_finish_after_it(any_lab: Lab) -> None:
    lab = any_lab
    owner = lab.enrolled()
    flow = lab.mfa_flow(owner)  # someone who knew the old password
    reset_password(lab, owner["email"])
    refused = lab.step(flow, "totp", lab.code(owner["secret"]))
    assert refused.status_code == 404 and refused.json()["code"] == "flow.not_found"


def test_a_device_check_started_before_a_password_change_cannot_finish_after_it(any_lab: Lab) -> None:
    lab = any_lab
    owner = lab.signed_in()
    flow = lab.device_flow(owner)
    code = lab.device_code(owner["email"])
    changed = lab.client.put("/v1/me/password", headers=owner["headers"],
                             json={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert lab.step(flow, "device", code, device="phone").json()["code"] == "flow.not_found"


def test_a_second_step_started_before_a_2fa_reset_completes_cannot_finish_after_it(any_lab: Lab) -> None:
    lab = any_lab
    owner = lab.enrolled()
    case_id, token = lab.open_case(owner)
    assert upload_all(lab.client, case_id, token).json()["status"] == "in_review"
    agent = lab.staff()
    assert lab.client.post(f"/v1/support/cases/{case_id}/approve", headers=agent["headers"],
                           json={"reason": "ID matches"}).json() == {"status": "waiting"}
    lab.clock.advance(hours=47, minutes=55)
    flow = lab.mfa_flow(owner)
    lab.clock.advance(minutes=6)
    assert complete_due_cases(lab.services) == 1
    assert lab.step(flow, "totp", lab.code(owner["secret"])).json()["code"] == "flow.not_found"


def test_a_flow_written_before_the_change_is_refused_even_if_the_void_missed_it(any_lab: Lab) -> None:
    """A transaction racing the reset could write its flow after the void; its age refuses it."""
    lab = any_lab
    owner = lab.enrolled()
    flow = lab.mfa_flow(owner)
    lab.clock.advance(seconds=5)
    reset_password(lab, owner["email"])
    with lab.services.db.transaction() as tx:  # as if the void had not seen it
        tx.execute(update(SignInFlow).where(SignInFlow.id == flow).values(state="mfa_required", completed_at=None))
    assert lab.step(flow, "totp", lab.code(owner["secret"])).json()["code"] == "flow.not_found"
