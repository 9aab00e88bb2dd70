"""The tamper demo with the operator's command, and the audit log's read-only API for support and admin."""

from __future__ import annotations

from bastion.audit.chain import seal_pending
from tests.security.conftest import app_routes, edit_by_hand
from tests.security.test_audit_chain import write_events


def test_tamper_demo_a_row_edited_by_hand_is_named_by_bastion_audit_verify(services, cli) -> None:
    ids = write_events(services, 4, kind="account.frozen")
    intact = cli("audit", "verify")
    assert intact.exit_code == 0 and "The audit chain is intact." in intact.output
    assert "Checked 4 sealed events" in intact.output
    edit_by_hand(services, f"""UPDATE security_events SET data = '{{"number": 7}}' WHERE id = {ids[2]}""")
    tampered = cli("audit", "verify")
    assert tampered.exit_code == 1
    assert f"changed: event {ids[2]} (account.frozen at 2026-01-05T09:00:00Z) was changed after it was sealed" \
        in tampered.output
    assert "tampered with: 1 finding(s)" in tampered.output


def test_support_and_admin_read_events_newest_first_others_may_not(services, app_client, account_factory,
                                                                   staff_headers) -> None:
    owner = account_factory()
    write_events(services, 3)
    app_client.post("/v1/login", json={"email": owner["email"], "password": owner["password"]})
    seal_pending(services)
    for role in ("support", "admin"):
        answer = app_client.get("/v1/support/audit/events", params={"account_id": owner["id"]},
                                headers=staff_headers(role))
        assert answer.status_code == 200, answer.text
        events = answer.json()["events"]
        assert [event["kind"] for event in events] == ["signin.succeeded", "risk.assessed", "account.created"]
        assert events[0]["sealed"] is True and events[0]["actor_id"] == owner["id"]
    page = app_client.get("/v1/support/audit/events", params={"limit": 2}, headers=staff_headers("support")).json()
    older = app_client.get("/v1/support/audit/events", params={"before": page["next_before"]},
                           headers=staff_headers("support")).json()
    assert page["events"][0]["id"] > page["events"][1]["id"] > older["events"][0]["id"]
    refused = app_client.get("/v1/support/audit/events", headers=staff_headers(""))
    assert refused.status_code == 403 and refused.json()["code"] == "permission.denied"
    assert app_client.get("/v1/support/audit/events").status_code == 401


def test_only_admin_checks_the_chain_and_nothing_edits_it_over_http(services, app_client, staff_headers) -> None:
    ids = write_events(services, 2)
    seal_pending(services)
    assert app_client.get("/v1/admin/audit/verify", headers=staff_headers("support")).status_code == 403
    check = app_client.get("/v1/admin/audit/verify", headers=staff_headers("admin")).json()
    assert check["intact"] is True and check["checked"] == 2 and check["head_position"] == 2
    edit_by_hand(services, f"UPDATE security_events SET kind = 'nothing' WHERE id = {ids[0]}")
    check = app_client.get("/v1/admin/audit/verify", headers=staff_headers("admin")).json()
    assert not check["intact"] and check["findings"][0]["event_id"] == ids[0]
    audit_routes = [route for route in app_routes(app_client.app) if "/audit" in getattr(route, "path", "")]
    assert audit_routes and all(route.methods == {"GET"} for route in audit_routes)
