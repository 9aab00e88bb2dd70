"""The audit log is append-only and hash-chained: `verify_chain` names an event that was changed,
removed or moved after it was sealed — on SQLite and PostgreSQL."""

from __future__ import annotations

from itertools import pairwise

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from bastion.audit import record_event
from bastion.audit.chain import remac_under_current_key, seal_pending
from bastion.audit.models import AuditChainHead, SecurityEvent
from bastion.audit.verify import verify_chain
from bastion.context import Client
from bastion.crypto import generate_key
from tests.conftest import TEST_KEY
from tests.security.conftest import edit_by_hand


def write_events(services, count: int, kind: str = "test.event") -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    for number in range(count):
        with services.db.transaction() as tx:
            record_event(tx, services.clock.now(), kind, f"acct-{number}", Client(ip="192.0.2.7"), number=number)
            tx.flush()
            ids.append(tx.execute(select(func.max(SecurityEvent.id))).scalar_one())
    return ids


def kinds_named(services, *, event_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    return {finding.kind for finding in verify_chain(services).findings if finding.event_id == event_id}


def test_sealed_events_form_an_intact_chain_in_order(services) -> None:
    ids = write_events(services, 5)
    assert verify_chain(services).unsealed == 5
    assert seal_pending(services) == 5
    assert seal_pending(services) == 0  # nothing twice
    with services.db.transaction() as tx:
        rows = list(tx.execute(select(SecurityEvent).order_by(SecurityEvent.chain_seq)).scalars())
        head = tx.get_one(AuditChainHead, 1)
    assert [row.id for row in rows] == ids and [row.chain_seq for row in rows] == [1, 2, 3, 4, 5]
    assert all(row.chain_prev == before.chain_hash for before, row in pairwise(rows))
    assert head.seq == 5 and head.hash == rows[-1].chain_hash
    report = verify_chain(services)
    assert report.intact and report.checked == 5 and report.unsealed == 0


def test_a_changed_event_is_named(services) -> None:
    ids = write_events(services, 4)
    seal_pending(services)
    edit_by_hand(services, f"UPDATE security_events SET ip = '203.0.113.9' WHERE id = {ids[1]}")
    report = verify_chain(services)
    assert [(finding.kind, finding.event_id) for finding in report.findings] == [("changed", ids[1])]
    assert f"event {ids[1]} (test.event at" in report.findings[0].detail


def test_an_event_changed_with_its_hash_recomputed_is_named_as_forged(services) -> None:
    from bastion.audit.chain import event_hash

    ids = write_events(services, 3)
    seal_pending(services)
    with services.db.transaction() as tx:
        row = tx.get_one(SecurityEvent, ids[2])
        row.data = {"number": 99}
        forged = event_hash(row.chain_prev, row)
        tx.expunge(row)
    # The last event, so no later link gives it away: only the key-made MAC does.
    edit_by_hand(services, f"""UPDATE security_events SET data = '{{"number": 99}}', chain_hash = '{forged}'
                               WHERE id = {ids[2]}""",
                 f"UPDATE audit_chain_head SET hash = '{forged}'")
    kinds = {(finding.kind, finding.event_id) for finding in verify_chain(services).findings}
    assert ("forged", ids[2]) in kinds and ("head", None) in kinds


def test_a_removed_event_is_named_by_its_neighbours(services) -> None:
    ids = write_events(services, 5)
    seal_pending(services)
    edit_by_hand(services, f"DELETE FROM security_events WHERE id = {ids[2]}")
    report = verify_chain(services)
    assert [(finding.kind, finding.seq) for finding in report.findings] == [("removed", 4)]
    assert f"positions 3–3 are missing: events removed between event {ids[1]} and event {ids[3]}" in \
        report.findings[0].detail


def test_events_removed_at_the_end_are_missed_by_the_head(services) -> None:
    ids = write_events(services, 5)
    seal_pending(services)
    edit_by_hand(services, f"DELETE FROM security_events WHERE id >= {ids[3]}")
    report = verify_chain(services)
    assert [finding.kind for finding in report.findings] == ["removed"]
    assert f"positions 4–5 are missing: events removed after event {ids[2]}, at the end" in report.findings[0].detail


def test_reordered_events_are_named(services) -> None:
    ids = write_events(services, 5)
    seal_pending(services)
    edit_by_hand(services,
                 f"UPDATE security_events SET chain_seq = -1 WHERE id = {ids[1]}",
                 f"UPDATE security_events SET chain_seq = 2 WHERE id = {ids[2]}",
                 f"UPDATE security_events SET chain_seq = 3 WHERE id = {ids[1]}")
    report = verify_chain(services)
    named = {finding.event_id for finding in report.findings if finding.kind == "reordered"}
    assert {ids[1], ids[2]} <= named
    assert f"it was sealed after event {ids[1]} but now follows event {ids[0]}" in " ".join(
        finding.detail for finding in report.findings)


def test_nobody_can_update_or_delete_an_event_through_the_database_without_disabling_the_guard(services) -> None:
    ids = write_events(services, 2)
    seal_pending(services)
    for statement in (f"UPDATE security_events SET kind = 'nothing' WHERE id = {ids[0]}",
                      f"DELETE FROM security_events WHERE id = {ids[0]}",
                      f"UPDATE security_events SET chain_seq = 7 WHERE id = {ids[1]}"):
        with pytest.raises(DBAPIError, match="append-only"), services.db.transaction() as tx:
            tx.execute(text(statement))
    assert verify_chain(services).intact


def test_seals_are_re_signed_after_a_key_rotation(services, settings_factory, database_url, clock) -> None:
    from bastion.startup import build_services

    write_events(services, 3)
    seal_pending(services)
    new_key = generate_key()
    only_new = build_services(settings_factory(database_url=database_url, secret_keys=new_key), clock=clock)
    rotating = build_services(settings_factory(database_url=database_url, secret_keys=f"{new_key},{TEST_KEY}"),
                              clock=clock)
    assert {finding.kind for finding in verify_chain(only_new).findings} == {"forged", "head"}
    assert remac_under_current_key(rotating) == 3
    assert verify_chain(only_new).intact
    only_new.close()
    rotating.close()


def test_sign_ins_factor_changes_and_staff_actions_are_in_the_chain(services, app_client, account_factory,
                                                                    staff_headers) -> None:
    account = account_factory()
    admin = staff_headers("admin")
    app_client.post("/v1/login", json={"email": account["email"], "password": account["password"]})
    suspended = app_client.post(f"/v1/admin/accounts/{account['id']}/suspend", headers=admin,
                                json={"reason": "card fraud review"})
    assert suspended.status_code == 200
    seal_pending(services)
    with services.db.transaction() as tx:
        events = {(row.kind, row.actor_id != row.account_id) for row in tx.execute(
            select(SecurityEvent).where(SecurityEvent.account_id == account["id"])).scalars()}
    assert ("signin.succeeded", False) in events and ("account.suspended", True) in events
    assert verify_chain(services).intact
