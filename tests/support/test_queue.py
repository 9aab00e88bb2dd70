"""The case queue through the support API: paged past 50 without losing or repeating a case, filtered,
sorted by age, each case with its age and deadline, counts by state; claiming and releasing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bastion.accounts.admin import create_account
from bastion.audit.models import SecurityEvent
from bastion.recovery.models import RecoveryCase
from bastion.store.types import new_id
from tests.conftest import DEFAULT_PASSWORD
from tests.support.conftest import act


def many_cases(services, clock, count: int, status: str = "in_review", kind: str = "mfa_reset",  # type: ignore[no-untyped-def]
               ago: timedelta = timedelta()) -> list[str]:
    """`count` cases of different accounts, opened a minute apart up to `ago` (the first is the oldest)."""
    ids = []
    start = clock.now() - ago - timedelta(minutes=count)
    for number in range(count):
        account_id = create_account(services, f"queue{number}-{new_id()[:8]}@example.com", DEFAULT_PASSWORD,
                                    roles=[], verified=True)
        opened = start + timedelta(minutes=number)
        case = RecoveryCase(account_id=account_id, kind=kind, status=status, access_hash=new_id(), created_at=opened,
                            submitted_at=opened if status == "in_review" else None)
        with services.db.transaction() as tx:
            tx.add(case)
        ids.append(case.id)
    return ids


def queue(client, agent, **params):  # type: ignore[no-untyped-def]
    answer = client.get("/v1/support/cases", params=params, headers=agent["headers"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_queue_pages_past_fifty_cases_oldest_first_without_losing_or_repeating_one(
        app_client, services, clock, staff) -> None:
    ids = many_cases(services, clock, 63)
    agent = staff("support")
    first = queue(app_client, agent, status="in_review")
    assert len(first["cases"]) == 50 and first["total"] == 63 and first["next_cursor"]
    assert first["counts"]["in_review"] == 63 and first["counts"]["unassigned"] == 63
    second = queue(app_client, agent, status="in_review", cursor=first["next_cursor"])
    assert len(second["cases"]) == 13 and second["next_cursor"] is None
    assert [case["id"] for case in first["cases"] + second["cases"]] == ids  # all of them, oldest first, once
    # A case that leaves the queue between two pages makes no other one skip a page.
    small = queue(app_client, agent, status="in_review", limit=20)
    act(app_client, agent, ids[5], "reject", reason="blurred photos")
    rest = queue(app_client, agent, status="in_review", limit=50, cursor=small["next_cursor"])
    assert [case["id"] for case in rest["cases"]] == ids[20:]
    newest = queue(app_client, agent, status="in_review", order="newest", limit=3)
    assert [case["id"] for case in newest["cases"]] == ids[-1:-4:-1]
    for bad in ({"cursor": "not-a-cursor"}, {"limit": 101}, {"status": "odd"}, {"kind": "odd"}, {"assigned": "him"}):
        refused = app_client.get("/v1/support/cases", params=bad, headers=agent["headers"])
        assert refused.status_code == 422, bad


def test_filters_by_kind_holder_and_age_and_each_case_carries_its_age_and_deadline(
        app_client, services, clock, staff) -> None:
    old = many_cases(services, clock, 2, status="awaiting_documents", kind="unfreeze", ago=timedelta(hours=30))
    fresh = many_cases(services, clock, 3)
    agent, other = staff("support"), staff("support")
    assert [case["id"] for case in queue(app_client, agent, kind="unfreeze")["cases"]] == old
    assert act(app_client, agent, fresh[1], "claim").json() == {"status": "claimed"}
    mine = queue(app_client, agent, assigned="me")["cases"]
    assert [case["id"] for case in mine] == [fresh[1]] and mine[0]["claimed_by_email"] == agent["email"]
    assert fresh[1] not in [case["id"] for case in queue(app_client, other, assigned="unassigned")["cases"]]
    assert [case["id"] for case in queue(app_client, agent, min_age_hours=24)["cases"]] == old
    waiting = queue(app_client, agent, kind="unfreeze")["cases"][0]
    assert waiting["age_seconds"] >= 30 * 3600
    with services.db.transaction() as tx:
        opened = tx.get_one(RecoveryCase, old[0]).created_at
    assert waiting["deadline"] == {"kind": "documents_due",
                                   "at": (opened + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    counts = queue(app_client, agent)["counts"]
    assert counts["awaiting_documents"] == 2 and counts["in_review"] == 3 and counts["mine"] == 1


def test_one_agent_at_a_time_works_a_case_and_every_claim_is_audited(app_client, ready_case, staff, services) -> None:
    owner, case_id = ready_case()
    holder, other, admin = staff("support"), staff("support"), staff("admin")
    assert act(app_client, holder, case_id, "claim").json() == {"status": "claimed"}
    assert act(app_client, holder, case_id, "claim").json() == {"status": "claimed"}  # again: nothing changes
    taken = act(app_client, other, case_id, "claim")
    assert taken.status_code == 409 and taken.json()["code"] == "case.claimed"
    assert holder["email"] in taken.json()["detail"]
    for decision, body in (("approve", {"reason": "looks fine"}), ("reject", {"reason": "looks wrong"})):
        refused = act(app_client, other, case_id, decision, **body)
        assert refused.status_code == 409 and refused.json()["code"] == "case.claimed", decision
    assert act(app_client, other, case_id, "release").json()["code"] == "case.claimed"
    view = app_client.get(f"/v1/support/cases/{case_id}", headers=other["headers"]).json()
    assert view["claimed_by_email"] == holder["email"]
    assert view["actions"]["approve"]["why"] == "claimed_by_other" and view["actions"]["note"] is None
    assert act(app_client, admin, case_id, "release").json() == {"status": "released"}  # an admin frees a stuck case
    assert act(app_client, other, case_id, "claim").json() == {"status": "claimed"}
    assert act(app_client, other, case_id, "release").json() == {"status": "released"}
    with services.db.transaction() as tx:
        events = [(event.kind, event.actor_id, event.data.get("holder")) for event in tx.execute(
            select(SecurityEvent).where(SecurityEvent.kind.in_(("case.claimed", "case.released")))
            .order_by(SecurityEvent.id)).scalars()]
    assert events == [("case.claimed", holder["id"], None), ("case.released", admin["id"], holder["id"]),
                      ("case.claimed", other["id"], None), ("case.released", other["id"], None)]
    assert owner["id"]
