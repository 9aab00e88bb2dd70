"""What support reads and does is on the record: each opening of an account, a case, a timeline or a
search is an audit event with the agent; an unlock is recorded only when it happened."""

from __future__ import annotations

from sqlalchemy import select

from bastion.audit.models import SecurityEvent


def events(services, kind: str) -> list[SecurityEvent]:  # type: ignore[no-untyped-def]
    with services.db.transaction() as tx:
        return list(tx.execute(select(SecurityEvent).where(SecurityEvent.kind == kind)
                               .order_by(SecurityEvent.id)).scalars())


def test_every_opening_is_recorded_with_the_agent(app_client, staff, ready_case, services) -> None:
    agent = staff("support")
    customer, case_id = ready_case()
    for path in (f"/v1/support/accounts/{customer['id']}", f"/v1/support/accounts/{customer['id']}/timeline",
                 f"/v1/support/cases/{case_id}", f"/v1/support/cases/{case_id}/timeline"):
        assert app_client.get(path, headers=agent["headers"]).status_code == 200, path
    assert app_client.get("/v1/support/search", params={"q": customer["email"]},
                          headers=agent["headers"]).status_code == 200
    seen = [(event.account_id, event.actor_id, event.data["what"]) for event in events(services, "support.viewed")]
    assert seen == [(customer["id"], agent["id"], "account"), (customer["id"], agent["id"], "account_timeline"),
                    (customer["id"], agent["id"], "case"), (customer["id"], agent["id"], "case_timeline"),
                    (None, agent["id"], "search")]
    # The case's own timeline tells who opened it, in words, once however often it was opened.
    app_client.get(f"/v1/support/cases/{case_id}", headers=agent["headers"])
    story = app_client.get(f"/v1/support/cases/{case_id}/timeline", headers=agent["headers"]).json()
    opened = [entry["what"] for entry in story["entries"] if entry["kind"] == "support.viewed"]
    assert opened == ["Opened by support: the case", "Opened by support: the case's timeline",
                      "Opened by support: the case"]


def test_an_unlock_that_did_not_happen_is_not_recorded(app_client, staff, account_factory, services) -> None:
    agent, customer = staff("support"), account_factory()
    services.throttle.disable_after = 0  # as if the 100-failure switch-off were reached
    refused = app_client.post(f"/v1/support/accounts/{customer['id']}/unlock", headers=agent["headers"],
                              json={"reason": "caller verified"})
    assert refused.status_code == 422 and not events(services, "account.unlocked")
    services.throttle.disable_after = 100
    done = app_client.post(f"/v1/support/accounts/{customer['id']}/unlock", headers=agent["headers"],
                           json={"reason": "caller verified"})
    assert done.status_code == 200 and len(events(services, "account.unlocked")) == 1
