"""An account's record from the audit log: its timeline in words (who, what, when, from where) with each
event's seal checked — a changed, forged or moved event shows — and the whole record as JSON for a
compliance request, audited, without a secret."""

from __future__ import annotations

import json

from sqlalchemy import select

from bastion.audit.chain import seal_pending
from bastion.audit.models import SecurityEvent
from bastion.support.words import EVENTS
from tests.conftest import DEFAULT_PASSWORD
from tests.security.conftest import edit_by_hand
from tests.support.conftest import act


def timeline(client, agent, account_id, **params):  # type: ignore[no-untyped-def]
    answer = client.get(f"/v1/support/accounts/{account_id}/timeline", params=params, headers=agent["headers"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_account_timeline_tells_who_did_what_when_and_from_where_with_seals(app_client, ready_case, staff,
                                                                              services) -> None:
    owner, case_id = ready_case()
    agent = staff("support")
    act(app_client, agent, case_id, "claim")
    app_client.post(f"/v1/support/accounts/{owner['id']}/unlock", headers=agent["headers"],
                    json={"reason": "Owner called after too many tries"})
    pending = timeline(app_client, agent, owner["id"])
    assert pending["chain"]["pending"] == pending["chain"]["checked"] and pending["chain"]["intact"]
    seal_pending(services)
    told = timeline(app_client, agent, owner["id"])
    assert told["chain"] == {"intact": True, "head_intact": True, "checked": told["chain"]["checked"],
                             "verified": told["chain"]["checked"], "pending": 0, "changed": 0, "forged": 0,
                             "unlinked": 0}
    # Reading is on the record too: the first look at this timeline is in the second.
    assert told["entries"][0]["what"] == "Opened by support: the account's timeline"
    actions = [entry for entry in told["entries"] if entry["kind"] != "support.viewed"]
    newest = actions[0]
    assert newest["what"] == "Wrong-password pause lifted: Owner called after too many tries"
    assert newest["actor"] == {"kind": "staff", "id": agent["id"], "email": agent["email"], "words": agent["email"]}
    # The test client's peer is not an address, so it has no place (a real one is located: tests/risk).
    assert (newest["ip"], newest["place"]) == ("testclient", "Unknown location")
    kinds = [entry["kind"] for entry in actions]
    assert kinds[:2] == ["account.unlocked", "case.claimed"] and "case.opened" in kinds and "mfa.totp_enabled" in kinds
    owner_steps = [entry for entry in told["entries"] if entry["kind"] == "mfa.totp_enabled"]
    assert owner_steps[0]["actor"]["kind"] == "owner" and owner_steps[0]["what"] == "Authenticator app set up"
    assert all(entry["seal"] == "verified" for entry in told["entries"])
    # Paged, newest first.
    first = timeline(app_client, agent, owner["id"], limit=3)
    rest = timeline(app_client, agent, owner["id"], limit=200, before=first["next_before"])
    paged = [e["id"] for e in first["entries"] + rest["entries"] if e["kind"] != "support.viewed"]
    assert paged == [e["id"] for e in actions]  # (each look adds its own opening at the top)


def test_an_event_changed_after_it_was_sealed_shows_in_the_timeline(app_client, ready_case, staff, services) -> None:
    owner, case_id = ready_case()
    agent = staff("support")
    act(app_client, agent, case_id, "approve", reason="ID matches")
    seal_pending(services)
    with services.db.transaction() as tx:
        approved = tx.execute(select(SecurityEvent.id).where(SecurityEvent.kind == "case.approved")).scalar_one()
    edit_by_hand(services, f"UPDATE security_events SET ip = '203.0.113.9' WHERE id = {approved}")
    story = app_client.get(f"/v1/support/cases/{case_id}/timeline", headers=agent["headers"]).json()
    assert not story["chain"]["intact"] and story["chain"]["changed"] == 1
    assert [entry["seal"] for entry in story["entries"] if entry["id"] == approved] == ["changed"]
    page = app_client.get(f"/support/cases/{case_id}")  # no cookie: the page sends the browser to sign in
    assert page.status_code in (200, 303, 307)
    assert owner["id"]


def test_the_record_for_a_compliance_request_is_whole_audited_and_holds_no_secret(app_client, ready_case, staff,
                                                                                 services) -> None:
    owner, case_id = ready_case()
    agent = staff("support")
    act(app_client, agent, case_id, "notes", text="Checked the ID against the KYC file")
    act(app_client, agent, case_id, "approve", reason="ID matches")
    seal_pending(services)
    answer = app_client.post(f"/v1/support/accounts/{owner['id']}/export", headers=agent["headers"],
                             json={"reason": "Subject access request 2026-114"})
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert record["format"] == "bastion.account-record/1" and record["reason"] == "Subject access request 2026-114"
    assert record["account"]["email"] == owner["email"] and record["account"]["factors"]
    assert record["sign_in_attempts"] and record["audit_chain"]["intact"]
    [case] = record["recovery_cases"]
    assert case["id"] == case_id and case["approvals"][0]["agent_email"] == agent["email"]
    assert case["internal_notes"][0]["text"] == "Checked the ID against the KYC file"
    assert {document["kind"] for document in case["documents"]} == {"id_front", "id_back", "selfie"}
    assert all(event["seal"] in ("verified", "pending") for event in record["audit_events"])
    text = json.dumps(record)
    for secret in (owner["secret"], *owner["backup_codes"], owner["token"], DEFAULT_PASSWORD, "argon2"):
        assert secret not in text
    assert "password_hash" not in text and '"data": null' not in text
    with services.db.transaction() as tx:
        exported = tx.execute(select(SecurityEvent).where(SecurityEvent.kind == "account.exported")).scalar_one()
    assert exported.actor_id == agent["id"] and exported.data == {"reason": "Subject access request 2026-114"}
    refused = app_client.post(f"/v1/support/accounts/{owner['id']}/export", headers=agent["headers"], json={})
    assert refused.status_code == 422


def test_every_event_the_code_records_has_words() -> None:
    """Timelines never show a raw code: each kind recorded anywhere in bastion/ has its sentence."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "bastion"
    recorded = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            called = getattr(node.func, "id", getattr(node.func, "attr", "")) if isinstance(node, ast.Call) else ""
            if called == "record_event":
                kind = node.args[2] if len(node.args) > 2 else None
                for value in ast.walk(kind) if kind is not None else ():
                    if isinstance(value, ast.Constant) and isinstance(value.value, str) and "." in value.value.rstrip("."):
                        recorded.add(value.value)
            elif called == "record_factor_change":  # records "mfa.<change>"
                change = node.args[3] if len(node.args) > 3 else None
                if isinstance(change, ast.Constant) and isinstance(change.value, str):
                    recorded.add(f"mfa.{change.value}")
    from bastion.guard.steps import DEVICE_CODE, SECOND_FACTOR

    assert {"mfa.passkey_added", "mfa.mfa_disabled", "mfa.backup_codes_regenerated"} <= recorded
    recorded |= {SECOND_FACTOR.paused, DEVICE_CODE.paused}
    recorded |= {"account.suspended", "account.banned"}
    assert len(recorded) > 40
    assert sorted(recorded - set(EVENTS)) == []
