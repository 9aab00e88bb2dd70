"""Signing in with the authenticator app: the mfa_required step, aal 2, one use per code, flows' ends."""

from __future__ import annotations

from sqlalchemy import select

from bastion.audit.models import SecurityEvent
from bastion.signin.models import SignInAttempt
from bastion.web.client import sign_device_id
from tests.mfa.conftest import bearer, code_at


def test_password_alone_answers_mfa_required_with_the_enrolled_methods(login, enrolled) -> None:
    account = enrolled()
    body = login(account["email"]).json()
    assert body["status"] == "mfa_required"
    assert body["flow"]["methods"] == ["totp", "backup_code"]
    assert set(body) == {"status", "flow"} and "session" not in body


def test_a_current_code_finishes_sign_in_with_a_two_factor_session(app_client, enrolled, mfa_flow, clock,
                                                                   services) -> None:
    account = enrolled()
    flow_id = mfa_flow(account)
    answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "authenticated" and body["account"]["email"] == account["email"]
    whoami = app_client.get("/v1/session", headers=bearer(body["session"]["token"])).json()
    assert whoami["session"]["aal"] == 2
    with services.db.transaction() as tx:
        methods = [(row.method, row.outcome) for row in tx.execute(
            select(SignInAttempt).where(SignInAttempt.flow_id == flow_id).order_by(SignInAttempt.id)).scalars()]
    assert methods == [("password", "challenge"), ("totp", "success")]


def test_codes_of_the_previous_and_next_step_are_accepted(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    for offset in (-30, 30):
        clock.advance(seconds=90)
        answer = app_client.post(f"/v1/login/{mfa_flow(account)}/totp",
                                 json={"code": code_at(account["secret"], clock, offset)})
        assert answer.json()["status"] == "authenticated", (offset, answer.text)


def test_a_used_code_is_refused_as_reused_logged_and_the_owner_told(app_client, enrolled, mfa_flow, clock,
                                                                   mailbox, services) -> None:
    account = enrolled()
    code = code_at(account["secret"], clock)
    assert app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code}).status_code == 200
    clock.advance(seconds=20)  # same step, still in the window
    answer = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code})
    assert answer.status_code == 401 and answer.json()["code"] == "mfa.code_reused"
    assert answer.json()["help"] and code not in answer.text
    mail = mailbox.last(account["email"])
    assert mail["template"] == "totp_code_reused" and "/freeze?token=" in mail["text"]
    assert code not in mail["text"] + mail["html"]
    with services.db.transaction() as tx:
        event = tx.execute(select(SecurityEvent).where(SecurityEvent.kind == "mfa.totp_code_reused")).scalar_one()
    assert event.account_id == account["id"] and code not in str(event.data)


def test_an_older_step_than_the_last_used_is_refused_too(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    assert app_client.post(f"/v1/login/{mfa_flow(account)}/totp",
                           json={"code": code_at(account["secret"], clock, 30)}).status_code == 200
    answer = app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.json()["code"] == "mfa.code_reused"


def failed_second_step_mails(mailbox, account) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    return [mail for mail in mailbox.messages(account["email"]) if mail["template"] == "mfa_failed"]


def test_a_typo_then_the_right_code_emails_no_one(app_client, enrolled, mfa_flow, clock, mailbox) -> None:
    """One wrong code from the owner's own device is not news: no email per typo (issue 17, finding 6)."""
    account = enrolled()
    flow_id = mfa_flow(account)
    answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": "000000"})
    assert answer.status_code == 401 and answer.json()["code"] == "mfa.code_invalid"
    assert app_client.post(f"/v1/login/{flow_id}/totp",
                           json={"code": code_at(account["secret"], clock)}).json()["status"] == "authenticated"
    assert failed_second_step_mails(mailbox, account) == []


def test_failed_second_steps_email_the_owner_once_per_burst_with_the_count(app_client, enrolled, mfa_flow, clock,
                                                                          mailbox) -> None:
    account = enrolled()
    flow_id = mfa_flow(account)
    for wrong in ("000000", "111111", "222222", "333333"):
        answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": wrong})
        assert answer.status_code == 401 and answer.json()["code"] == "mfa.code_invalid"
    failed = failed_second_step_mails(mailbox, account)
    assert len(failed) == 1 and "correct password" in failed[0]["text"] and "/freeze?token=" in failed[0]["html"]
    assert "3 failed attempts" in failed[0]["text"]
    clock.advance(hours=1, seconds=1)  # the next burst
    for wrong in ("444444", "555555", "666666"):
        app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": wrong})
    assert len(failed_second_step_mails(mailbox, account)) == 2


def test_a_refusal_has_a_reference_recorded_with_the_attempt(app_client, enrolled, mfa_flow, services) -> None:
    account = enrolled()
    flow_id = mfa_flow(account)
    reference = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": "000000"}).json()["reference"]
    with services.db.transaction() as tx:
        attempt = tx.execute(select(SignInAttempt).where(SignInAttempt.reference == reference)).scalar_one()
    assert (attempt.method, attempt.outcome, attempt.code, attempt.flow_id) == (
        "totp", "failure", "mfa.code_invalid", flow_id)


def test_an_expired_flow_answers_flow_expired(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    flow_id = mfa_flow(account)
    clock.advance(minutes=15, seconds=1)
    answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.status_code == 410 and answer.json()["code"] == "flow.expired"


def test_unknown_and_finished_flows_answer_flow_not_found(app_client, enrolled, mfa_flow, clock) -> None:
    account = enrolled()
    unknown = app_client.post("/v1/login/7b0e2c57-0000-4000-8000-000000000000/totp", json={"code": "123456"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "flow.not_found"
    flow_id = mfa_flow(account)
    app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    clock.advance(seconds=30)
    finished = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    assert finished.status_code == 404 and finished.json()["code"] == "flow.not_found"


def test_a_freeze_during_the_second_step_still_refuses(app_client, enrolled, mfa_flow, clock, services) -> None:
    from bastion.accounts.status import freeze_account
    from bastion.context import Client

    account = enrolled()
    flow_id = mfa_flow(account)
    freeze_account(services, account["id"], Client(ip="127.0.0.1"), via="self_service")
    answer = app_client.post(f"/v1/login/{flow_id}/totp", json={"code": code_at(account["secret"], clock)})
    assert answer.status_code == 403 and answer.json()["code"] == "account.frozen"


def test_accounts_without_a_second_factor_sign_in_with_the_password_alone(login, account_factory) -> None:
    answer = login(account_factory()["email"]).json()
    assert answer["status"] == "authenticated"


def test_only_the_device_that_passed_the_password_may_finish(app_client, enrolled, clock, services) -> None:
    account = enrolled()
    phone = {"X-Device-Id": sign_device_id(services.keys, "phone-of-the-owner")}
    flow = app_client.post("/v1/login", json={"email": account["email"], "password": account["password"]},
                           headers=phone).json()["flow"]["id"]
    code = code_at(account["secret"], clock)
    elsewhere = app_client.post(f"/v1/login/{flow}/totp", json={"code": code},
                                headers={"X-Device-Id": sign_device_id(services.keys, "another")})
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "flow.not_found"
    same = app_client.post(f"/v1/login/{flow}/totp", json={"code": code}, headers=phone)
    assert same.json()["status"] == "authenticated"
