"""2FA reset through the HTTP app (requirements §16-17): request, evidence, support decision,
waiting period with a cancel link, then factors removed, sessions ended and a 48 h hold."""

from __future__ import annotations

from sqlalchemy import select

from bastion.audit.models import SecurityEvent
from bastion.mfa.registry import METHODS
from bastion.recovery.completion import complete_due_cases, run_scheduled
from tests.conftest import DEFAULT_PASSWORD
from tests.mfa.conftest import code_at
from tests.recovery.conftest import cancel_token, case_link, png, upload, upload_all


def start(client, email: str, password: str = DEFAULT_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/v1/mfa-reset", json={"email": email, "password": password})


def approved_case(app_client, enrolled, staff, mailbox):  # type: ignore[no-untyped-def]
    account = enrolled()
    case_id = start(app_client, account["email"]).json()["case_id"]
    linked_id, token = case_link(mailbox, account["email"])
    assert linked_id == case_id
    assert upload_all(app_client, case_id, token).json()["status"] == "in_review"
    agent = staff("support")
    approved = app_client.post(f"/v1/support/cases/{case_id}/approve", headers=agent["headers"],
                               json={"reason": "ID matches the account's KYC record"})
    assert approved.json() == {"status": "waiting"}
    return account, case_id, token, agent


def test_the_wait_elapses_then_factors_go_sessions_end_and_withdrawals_are_held(
        app_client, enrolled, staff, mailbox, clock, services) -> None:
    account, case_id, token, agent = approved_case(app_client, enrolled, staff, mailbox)
    status = app_client.get(f"/v1/recovery-cases/{case_id}", headers={"X-Case-Token": token}).json()
    assert status["status"] == "waiting" and status["missing"] == []
    templates = [m["template"] for m in mailbox.messages(account["email"])]
    assert templates[-3:] == ["case_opened", "case_submitted", "case_approved"]

    clock.advance(hours=47, minutes=59)
    assert run_scheduled(services)["completed"] == 0
    # A session still open somewhere (say, on a laptop) when the reset takes effect.
    flow = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}).json()
    laptop = app_client.post(f"/v1/login/{flow['flow']['id']}/totp", json={"code": code_at(account["secret"], clock)})
    laptop_headers = {"Authorization": f"Bearer {laptop.json()['session']['token']}"}
    clock.advance(minutes=1)
    assert complete_due_cases(services) == 1
    assert complete_due_cases(services) == 0  # once

    assert app_client.get("/v1/session", headers=laptop_headers).json()["code"] == "session.revoked"
    with services.db.transaction() as tx:
        assert not METHODS.has_second_factor(tx, account["id"])
        completed = tx.execute(select(SecurityEvent).where(SecurityEvent.kind == "case.completed")).scalar_one()
        approved = tx.execute(select(SecurityEvent).where(SecurityEvent.kind == "case.approved")).scalar_one()
    assert completed.data["totp_removed"] == 1 and completed.data["sessions_ended"] >= 1
    assert approved.actor_id == agent["id"]
    signed_in = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}).json()
    assert signed_in["status"] == "authenticated"  # the password alone now; 2FA must be set up again
    session = app_client.get("/v1/session", headers={"Authorization": f"Bearer {signed_in['session']['token']}"})
    hold = session.json()["restrictions"]
    assert [(h["kind"], h["reason"]) for h in hold] == [("withdrawal", "mfa_reset_completed")]
    assert mailbox.messages(account["email"])[-1]["template"] == "case_completed"
    clock.advance(hours=48, seconds=1)
    assert app_client.get("/v1/session", headers={"Authorization": f"Bearer {signed_in['session']['token']}"}
                          ).json().get("restrictions", []) == []


def test_the_cancel_link_during_the_wait_stops_the_reset_and_freezes_the_account(
        app_client, enrolled, staff, mailbox, clock, services) -> None:
    account, case_id, token, _ = approved_case(app_client, enrolled, staff, mailbox)
    link = cancel_token(mailbox, account["email"], "case_approved")
    assert app_client.post("/v1/mfa-reset/cancel", json={"token": link}).json() == {
        "status": "cancelled", "cases_cancelled": 1, "account": "frozen"}
    assert app_client.post("/v1/mfa-reset/cancel", json={"token": link}).json()["code"] == "token.invalid"
    clock.advance(hours=49)
    assert complete_due_cases(services) == 0
    with services.db.transaction() as tx:
        assert METHODS.has_second_factor(tx, account["id"])
    refused = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    assert refused.json()["code"] == "account.frozen"
    assert app_client.get(f"/v1/recovery-cases/{case_id}", headers={"X-Case-Token": token}).json()["status"] == \
        "cancelled"


def test_the_same_answer_for_unknown_email_wrong_password_and_an_open_case(app_client, enrolled, mailbox) -> None:
    account = enrolled()
    answers = [start(app_client, account["email"]), start(app_client, "nobody@example.com"),
               start(app_client, account["email"], "not the password at all"), start(app_client, account["email"])]
    assert {a.status_code for a in answers} == {202}
    shapes = [{k: v for k, v in a.json().items() if k != "case_id"} for a in answers]
    assert all(shape == shapes[0] for shape in shapes)
    assert all(len(a.json()["case_id"]) == 36 for a in answers)
    # Only the account's mailbox learns more: one link per accepted request, the newest one works.
    links = [m for m in mailbox.messages(account["email"]) if m["template"] == "case_opened"]
    assert len(links) == 2 and mailbox.messages("nobody@example.com") == []
    case_id, newest = case_link(mailbox, account["email"])
    assert answers[0].json()["case_id"] == answers[3].json()["case_id"] == case_id
    assert upload(app_client, case_id, newest, "id_front", png()).status_code == 201


def test_an_older_case_link_stops_working_when_a_new_one_is_sent(app_client, enrolled, mailbox) -> None:
    account = enrolled()
    start(app_client, account["email"])
    case_id, first = case_link(mailbox, account["email"])
    start(app_client, account["email"])
    refused = upload(app_client, case_id, first, "id_front", png())
    assert refused.status_code == 400 and refused.json()["code"] == "token.invalid"


def test_wrong_passwords_here_count_toward_the_sign_in_lockout(app_client, enrolled) -> None:
    account = enrolled()
    for _ in range(5):
        assert start(app_client, account["email"], "a wrong password again").status_code == 202
    assert start(app_client, account["email"]).status_code == 429  # and requests are limited per email
    assert app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}
                           ).json()["code"] == "account.locked"


def test_an_account_without_two_step_sign_in_gets_no_case(app_client, account_factory, mailbox) -> None:
    account = account_factory()
    assert start(app_client, account["email"]).status_code == 202
    assert [m for m in mailbox.messages(account["email"]) if m["template"] == "case_opened"] == []


def test_rejection_closes_the_case_with_the_reason_emailed(app_client, enrolled, staff, mailbox) -> None:
    account = enrolled()
    case_id = start(app_client, account["email"]).json()["case_id"]
    _, token = case_link(mailbox, account["email"])
    upload_all(app_client, case_id, token)
    agent = staff("support")
    reason = "The note in the photo does not show today's date"
    assert app_client.post(f"/v1/support/cases/{case_id}/reject", headers=agent["headers"],
                           json={"reason": reason}).json() == {"status": "rejected"}
    assert reason in mailbox.messages(account["email"])[-1]["text"]
    status = app_client.get(f"/v1/recovery-cases/{case_id}", headers={"X-Case-Token": token}).json()
    assert status["status"] == "rejected" and status["decision_reason"] == reason
    closed = upload(app_client, case_id, token, "id_front", png())
    assert closed.status_code == 409 and closed.json()["code"] == "case.closed"
    again = app_client.post(f"/v1/support/cases/{case_id}/approve", headers=agent["headers"], json={"reason": "ok!"})
    assert again.json()["code"] == "case.closed"
    # A new request can start at once.
    assert start(app_client, account["email"]).json()["case_id"] != case_id


def test_a_case_needs_all_documents_before_approval(app_client, enrolled, staff, mailbox) -> None:
    account = enrolled()
    case_id = start(app_client, account["email"]).json()["case_id"]
    _, token = case_link(mailbox, account["email"])
    assert upload(app_client, case_id, token, "id_front", png()).json()["missing"] == ["id_back", "selfie"]
    early = app_client.post(f"/v1/support/cases/{case_id}/approve", headers=staff("support")["headers"],
                            json={"reason": "looks fine"})
    assert early.status_code == 409 and early.json()["code"] == "case.not_ready"


def test_nobody_decides_their_own_case(app_client, services, clock, mailbox) -> None:
    from tests.conftest import make_staff

    agent = make_staff(app_client, services, clock, "support", "agent@staff.example.com")
    assert start(app_client, agent["email"]).status_code == 202
    case_id, token = case_link(mailbox, agent["email"])
    upload_all(app_client, case_id, token)
    own = app_client.post(f"/v1/support/cases/{case_id}/approve", headers=agent["headers"], json={"reason": "me!"})
    assert own.status_code == 403 and own.json()["code"] == "case.own_account"


def test_two_different_agents_must_approve_when_configured(database_url, settings_factory, clock) -> None:
    from fastapi.testclient import TestClient

    from bastion.startup import build_services
    from bastion.web.app import create_app
    from tests.conftest import Mailbox, make_staff

    services = build_services(settings_factory(database_url=database_url, case_approvals_required=2), clock=clock)
    with TestClient(create_app(services, deliver_mail=False)) as client:
        first, second = (make_staff(client, services, clock, "support", f"agent{n}@staff.example.com") for n in (1, 2))
        from bastion.accounts.admin import create_account
        from bastion.mfa.totp import otp as totp
        from bastion.mfa.totp import repo as totp_repo

        account_id = create_account(services, "owner@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
        with services.db.transaction() as tx:
            totp_repo.enrol_confirmed(tx, services.keys, account_id, totp.new_secret(), clock.now())
        case_id = start(client, "owner@example.com").json()["case_id"]
        _, token = case_link(Mailbox(services), "owner@example.com")
        upload_all(client, case_id, token)
        path = f"/v1/support/cases/{case_id}/approve"
        assert client.post(path, headers=first["headers"], json={"reason": "ID ok"}).json() == {"status": "in_review"}
        twice = client.post(path, headers=first["headers"], json={"reason": "ID ok"})
        assert twice.status_code == 409 and twice.json()["code"] == "case.already_approved"
        assert client.post(path, headers=second["headers"], json={"reason": "agree"}).json() == {"status": "waiting"}
        view = client.get(f"/v1/support/cases/{case_id}", headers=second["headers"]).json()
        assert {a["agent_id"] for a in view["approvals"]} == {first["id"], second["id"]}
        assert view["due_at"] is not None
    services.close()


def test_stale_cases_expire_and_documents_are_purged_after_retention(app_client, enrolled, staff, mailbox, clock,
                                                                      services) -> None:
    account = enrolled()
    case_id = start(app_client, account["email"]).json()["case_id"]
    _, token = case_link(mailbox, account["email"])
    upload(app_client, case_id, token, "id_front", png())
    clock.advance(days=14, seconds=1)
    assert run_scheduled(services)["expired"] == 1
    agent = staff("support")
    view = app_client.get(f"/v1/support/cases/{case_id}", headers=agent["headers"]).json()
    assert view["status"] == "expired" and len(view["documents"]) == 1
    clock.advance(days=30, seconds=1)
    assert run_scheduled(services)["purged"] == 1
    view = app_client.get(f"/v1/support/cases/{case_id}", headers=staff("support")["headers"]).json()
    assert view["documents"] == [] and view["documents_purged_at"] is not None
