"""Working a case through the support API: four eyes with two agents, each approval naming its agent;
no agent decides their own account's case; prepared rejection reasons; internal notes that never
reach the account holder; only valid actions, the others with the agent's reason why not."""

from __future__ import annotations

import json

from sqlalchemy import select

from bastion.audit.chain import seal_pending
from bastion.audit.models import SecurityEvent
from tests.conftest import DEFAULT_PASSWORD, make_staff
from tests.recovery.conftest import case_link, png, upload
from tests.support.conftest import act, open_ready_case


def view(client, agent, case_id):  # type: ignore[no-untyped-def]
    answer = client.get(f"/v1/support/cases/{case_id}", headers=agent["headers"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_2fa_reset_needs_two_different_agents_and_each_approval_names_its_agent(four_eyes) -> None:
    floor = four_eyes
    owner, case_id = floor.case()
    first, second = floor.agent(), floor.agent("admin")
    client = floor.client
    assert act(client, first, case_id, "claim").json() == {"status": "claimed"}
    assert act(client, first, case_id, "approve", reason="ID matches the account holder").json() == {"status": "in_review"}
    after_first = view(client, first, case_id)
    assert after_first["claimed_by"] is None  # back in the queue for the second approval
    assert after_first["actions"]["approve"]["why"] == "approved_by_you"
    assert "another agent" in after_first["actions"]["approve"]["explanation"]
    assert after_first["actions"]["claim"]["why"] == "approved_by_you"
    again = act(client, first, case_id, "approve", reason="ID matches the account holder")
    assert again.status_code == 409 and again.json()["code"] == "case.already_approved"
    floor.clock.advance(minutes=3)
    assert act(client, second, case_id, "claim").json() == {"status": "claimed"}
    assert act(client, second, case_id, "approve", reason="Second check: the photo matches").json() == \
        {"status": "waiting"}
    done = view(client, second, case_id)
    assert [(a["agent_email"], a["reason"]) for a in done["approvals"]] == [
        (first["email"], "ID matches the account holder"), (second["email"], "Second check: the photo matches")]
    assert all(a["at"] for a in done["approvals"]) and done["deadline"]["kind"] == "takes_effect"
    # The approved case offers no further decision; stopping it (the owner says it was not them) is all.
    assert done["actions"]["approve"]["why"] == "approved" and done["actions"]["reject"]["why"] == "approved"
    assert done["actions"]["claim"]["why"] == "approved" and done["actions"]["stop"] is None
    third = floor.agent()
    late = act(client, third, case_id, "approve", reason="me too")
    assert late.status_code == 409 and late.json()["code"] == "case.not_ready" and "takes effect" in late.json()["detail"]
    seal_pending(floor.services)
    story = client.get(f"/v1/support/cases/{case_id}/timeline", headers=third["headers"]).json()
    steps = [(entry["kind"], entry["actor"]["kind"], entry["actor"]["email"]) for entry in story["entries"]
             if entry["kind"] not in ("case.document_viewed", "support.viewed")]
    assert ("support.viewed", "staff", second["email"]) in [
        (entry["kind"], entry["actor"]["kind"], entry["actor"]["email"]) for entry in story["entries"]]
    assert steps == [("case.opened", "owner", None), ("case.document_added", "owner", None),
                     ("case.document_added", "owner", None), ("case.document_added", "owner", None),
                     ("case.submitted", "owner", None), ("case.claimed", "staff", first["email"]),
                     ("case.approved", "staff", first["email"]), ("case.claimed", "staff", second["email"]),
                     ("case.approved", "staff", second["email"])]
    assert story["chain"]["intact"] and story["chain"]["verified"] == story["chain"]["checked"]
    assert "Approved (2 of 2): Second check: the photo matches" in [entry["what"] for entry in story["entries"]]
    assert owner["id"]


def test_no_agent_decides_or_opens_a_case_about_their_own_account(app_client, services, clock, mailbox) -> None:
    agent = make_staff(app_client, services, clock, "support", "agent@staff.example.com")
    case_id = open_ready_case(app_client, mailbox, agent["email"])
    for action, body in (("claim", {}), ("approve", {"reason": "it is me"}), ("reject", {"reason": "it is me"}),
                         ("notes", {"text": "my own note"})):
        refused = act(app_client, agent, case_id, action, **body)
        assert refused.status_code == 403 and refused.json()["code"] == "case.own_account", action
    # Nor opens it: colleagues' notes about it are not the requester's to read (tests/support/test_whose_account.py).
    own = app_client.get(f"/v1/support/cases/{case_id}", headers=agent["headers"])
    assert own.status_code == 403 and own.json()["code"] == "case.own_account"
    document = view(app_client, make_staff(app_client, services, clock, "admin", "boss@staff.example.com"),
                    case_id)["documents"][0]["id"]
    shown = app_client.get(f"/v1/support/cases/{case_id}/documents/{document}", headers=agent["headers"])
    assert shown.status_code == 403 and shown.json()["code"] == "case.own_account"
    # Nor as an admin, nor by the account-level unfreeze door.
    admin = make_staff(app_client, services, clock, "admin", "admin@staff.example.com")
    admin_case = open_ready_case(app_client, mailbox, admin["email"])
    assert act(app_client, admin, admin_case, "approve", reason="it is me").json()["code"] == "case.own_account"


def test_rejecting_with_a_prepared_reason_sends_it_or_the_agent_s_edit(app_client, ready_case, staff, mailbox,
                                                                      services) -> None:
    admin, agent = staff("admin"), staff("support")
    blurred = app_client.post("/v1/admin/rejection-reasons", headers=admin["headers"], json={
        "title": "Blurred photos", "text": "Your photos are too blurred to read. Please start again with sharp ones.",
        "kinds": ["mfa_reset"]}).json()["id"]
    app_client.post("/v1/admin/rejection-reasons", headers=admin["headers"], json={
        "title": "Frozen accounts only", "text": "Only for unfreezes.", "kinds": ["unfreeze"]})
    offered = app_client.get("/v1/support/rejection-reasons", params={"kind": "mfa_reset"},
                             headers=agent["headers"]).json()
    assert [item["title"] for item in offered] == ["Blurred photos"]
    owner, case_id = ready_case()
    assert [item["id"] for item in view(app_client, agent, case_id)["prepared_reasons"]] == [blurred]
    assert act(app_client, agent, case_id, "reject", prepared_reason=blurred).json() == {"status": "rejected"}
    assert "too blurred to read" in mailbox.last(owner["email"])["text"]
    other_owner, other_case = ready_case()
    edited = "Your photos are too blurred to read; the ID's date of birth must be visible."
    assert act(app_client, agent, other_case, "reject", prepared_reason=blurred, reason=edited).json() == \
        {"status": "rejected"}
    assert edited in mailbox.last(other_owner["email"])["text"]
    with services.db.transaction() as tx:
        rejected = [event.data for event in tx.execute(select(SecurityEvent).where(
            SecurityEvent.kind == "case.rejected").order_by(SecurityEvent.id)).scalars()]
    assert [(data["prepared_reason"], data["reason"][:34]) for data in rejected] == [
        (blurred, "Your photos are too blurred to rea"), (blurred, "Your photos are too blurred to rea")]
    assert rejected[1]["reason"] == edited
    # A reason for another kind of case is refused; no reason at all too.
    unfreeze_only = next(item for item in app_client.get("/v1/support/rejection-reasons", headers=agent["headers"]).json()
                         if item["title"] == "Frozen accounts only")["id"]
    _, third = ready_case()
    assert act(app_client, agent, third, "reject", prepared_reason=unfreeze_only).status_code == 422
    assert act(app_client, agent, third, "reject").status_code == 422
    # Withdrawn, it is no longer offered.
    assert app_client.delete(f"/v1/admin/rejection-reasons/{blurred}", headers=admin["headers"]).json() == \
        {"status": "retired"}
    assert app_client.get("/v1/support/rejection-reasons", params={"kind": "mfa_reset"},
                          headers=agent["headers"]).json() == []


def test_internal_notes_are_for_staff_only_never_the_account_holder(app_client, enrolled, staff, mailbox,
                                                                    services) -> None:
    owner = enrolled()
    case_id = app_client.post("/v1/mfa-reset", json={"email": owner["email"], "password": DEFAULT_PASSWORD}
                              ).json()["case_id"]
    _, token = case_link(mailbox, owner["email"])
    upload(app_client, case_id, token, "id_front", png())
    agent = staff("support")
    secret_note = "Caller could not name the last deposit - suspicious, check with fraud team"
    noted = act(app_client, agent, case_id, "notes", text=secret_note)
    assert noted.status_code == 200 and noted.json()["status"] == "added"
    assert [note["text"] for note in view(app_client, agent, case_id)["notes"]] == [secret_note]
    assert view(app_client, agent, case_id)["notes"][0]["author"] == agent["email"]
    # Everything the owner can see: the case through the API and its page, every email, their activity.
    status = app_client.get(f"/v1/recovery-cases/{case_id}", headers={"X-Case-Token": token})
    page = app_client.get("/recovery/case", params={"case": case_id, "token": token})
    act(app_client, agent, case_id, "reject", reason="The photos are not readable.")
    after = app_client.get(f"/v1/recovery-cases/{case_id}", headers={"X-Case-Token": token})
    seen = [status.text, page.text, after.text, *(json.dumps(mail) for mail in mailbox.messages(owner["email"]))]
    assert status.status_code == 200 and page.status_code == 200 and after.json()["status"] == "rejected"
    assert not [text for text in seen if "deposit" in text or "fraud" in text]
    with services.db.transaction() as tx:
        event = tx.execute(select(SecurityEvent).where(SecurityEvent.kind == "case.note_added")).scalar_one()
    assert event.actor_id == agent["id"] and "deposit" not in json.dumps(event.data)
    # Notes stay on a closed case for staff, and can still be added.
    assert act(app_client, agent, case_id, "notes", text="Owner called back; told to start again").status_code == 200


def test_actions_are_offered_only_when_valid_with_the_reason_why_not(app_client, enrolled, staff, mailbox) -> None:
    owner = enrolled()
    case_id = app_client.post("/v1/mfa-reset", json={"email": owner["email"], "password": DEFAULT_PASSWORD}
                              ).json()["case_id"]
    _, token = case_link(mailbox, owner["email"])
    upload(app_client, case_id, token, "id_front", png())
    agent = staff("support")
    waiting_for_documents = view(app_client, agent, case_id)
    approve = waiting_for_documents["actions"]["approve"]
    assert approve["why"] == "documents_missing"
    assert approve["explanation"] == ("The owner has not uploaded everything yet (missing: ID document, back, "
                                      "Photo of the owner holding the ID and a dated note).")
    assert waiting_for_documents["actions"]["reject"] is None and waiting_for_documents["actions"]["claim"] is None
    early = act(app_client, agent, case_id, "approve", reason="looks fine")
    assert early.status_code == 409 and early.json()["detail"] == approve["explanation"]
    assert act(app_client, agent, case_id, "reject", reason="Never mind").json() == {"status": "rejected"}
    closed = view(app_client, agent, case_id)
    assert {name: (item or {}).get("why") for name, item in closed["actions"].items()} == {
        "claim": "closed", "release": "closed", "approve": "closed", "reject": "closed", "stop": "closed",
        "note": None}
    assert closed["actions"]["approve"]["explanation"] == "The case is closed (rejected); nothing more can be decided on it."


def test_an_approved_case_is_stopped_when_the_owner_says_it_was_not_them(app_client, ready_case, staff, mailbox,
                                                                         services) -> None:
    owner, case_id = ready_case()
    approver, other = staff("support"), staff("support")
    assert act(app_client, approver, case_id, "approve", reason="ID matches").json() == {"status": "waiting"}
    # A plain rejection of the case approved meanwhile is refused: a stop is asked for as such.
    refused = act(app_client, other, case_id, "reject", reason="The photo does not match.")
    assert refused.status_code >= 400 and refused.json()["code"] == "case.not_ready"
    assert act(app_client, other, case_id, "reject", reason="The owner called: they did not ask for this.",
               stop=True).json() == {"status": "stopped"}
    assert "did not ask for this" in mailbox.last(owner["email"])["text"]
    with services.db.transaction() as tx:
        kinds = [event.kind for event in tx.execute(select(SecurityEvent).where(
            SecurityEvent.actor_id == other["id"])).scalars()]
    assert "case.stopped" in kinds


def test_an_agent_never_sees_a_password_code_secret_or_token(app_client, ready_case, staff, services) -> None:
    owner, case_id = ready_case()
    agent = staff("support")
    act(app_client, agent, case_id, "claim")
    seal_pending(services)
    seen = [app_client.get(path, headers=agent["headers"]).text for path in (
        f"/v1/support/cases/{case_id}", f"/v1/support/cases/{case_id}/timeline",
        f"/v1/support/accounts/{owner['id']}", f"/v1/support/accounts/{owner['id']}/timeline",
        f"/v1/support/search?q={owner['email']}", "/v1/support/cases")]
    for text in seen:
        for secret in (owner["secret"], *owner["backup_codes"], owner["token"], DEFAULT_PASSWORD):
            assert secret not in text
        assert "argon2" not in text and "access_hash" not in text and "password_hash" not in text
