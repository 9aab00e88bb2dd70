"""Rows held back and sent together (bastion/store/together.py) are the rows written one by one."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from bastion.accounts.devices import list_devices, remember_device
from bastion.audit.models import SecurityEvent
from bastion.context import Client
from bastion.risk.models import DeviceChallenge
from bastion.sessions.models import Session
from bastion.sessions.tokens import issue_session
from bastion.signin.models import SignInFlow
from bastion.store.rows import add_now, append_row
from bastion.store.together import written_together

CLIENT = Client(ip="192.0.2.7", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0 “quoted” é", device_id="d" * 64)


def _write(services: Any, tx: Any, account_id: str, tag: str) -> str:
    now = services.clock.now()
    append_row(tx, SecurityEvent.__table__, {"account_id": account_id, "actor_id": account_id, "kind": f"{tag}.first",
                                             "created_at": now, "ip": CLIENT.ip, "data": {"b": [1, None], "a": "é"}})
    _, session = issue_session(services, tx, account_id, CLIENT, remember=True, aal=2)
    remember_device(tx, now, account_id, CLIENT)
    append_row(tx, SecurityEvent.__table__, {"account_id": account_id, "actor_id": None, "kind": f"{tag}.second",
                                             "created_at": now + timedelta(microseconds=1), "ip": None, "data": {}})
    return session.id


def _rows(services: Any, account_id: str, session_id: str, tag: str) -> tuple[Any, ...]:
    with services.db.transaction() as tx:
        events = [(e.kind.split(".")[1], e.actor_id == account_id, e.created_at, e.ip, e.data) for e in tx.execute(
            select(SecurityEvent).where(SecurityEvent.account_id == account_id, SecurityEvent.kind.like(f"{tag}.%"))
            .order_by(SecurityEvent.id)).scalars()]
        session = tx.get_one(Session, session_id)
        kept = (session.account_id == account_id, session.created_at, session.expires_at, session.idle_seconds, session.aal,
                session.remember, session.ip, session.user_agent, session.device_id, session.revoked_at)
        devices = [(d.device_hash, d.first_seen_at, d.last_seen_at, d.last_ip, d.user_agent, d.browser, d.os,
                    d.device_family, d.last_country, d.trusted_until) for d in list_devices(tx, account_id)]
        return events, kept, devices


def test_rows_written_together_are_the_rows_written_alone(services, account_factory) -> None:
    alone, together = account_factory()["id"], account_factory()["id"]
    with services.db.transaction() as tx:
        alone_session = _write(services, tx, alone, "alone")
    sent: list[str] = []
    event.listen(services.db.engine, "before_cursor_execute",
                 lambda *args: sent.append(args[2]) if args[2].startswith(("INSERT", "WITH")) else None)
    with services.db.transaction() as tx, written_together(tx):
        together_session = _write(services, tx, together, "together")
        assert sent == []  # held back until the block ends
    assert len(sent) == (1 if services.db.dialect == "postgresql" else 3)  # events in one INSERT on SQLite
    assert _rows(services, alone, alone_session, "alone") == _rows(services, together, together_session, "together")
    with services.db.transaction() as tx, written_together(tx):  # the device again: its upsert updates it
        _write(services, tx, together, "again")
    assert len(_rows(services, together, together_session, "again")[2]) == 1


def test_a_statement_run_meanwhile_sees_the_rows_held_so_far(services, account_factory) -> None:
    account_id = account_factory()["id"]
    with services.db.transaction() as tx, written_together(tx):
        session_id = _write(services, tx, account_id, "held")
        seen = tx.execute(select(SecurityEvent.kind).where(SecurityEvent.account_id == account_id,
                                                           SecurityEvent.kind.like("held.%"))
                          .order_by(SecurityEvent.id)).scalars().all()
        assert seen == ["held.first", "held.second"]
        assert tx.execute(select(Session.id).where(Session.id == session_id)).scalar_one() == session_id


def test_nothing_held_is_written_when_the_block_raises(services, account_factory) -> None:
    account_id = account_factory()["id"]
    with services.db.transaction() as tx:
        try:
            with written_together(tx):
                _write(services, tx, account_id, "dropped")
                raise RuntimeError("refused")
        except RuntimeError:
            pass
    with services.db.transaction() as tx:
        assert tx.execute(select(SecurityEvent.id).where(SecurityEvent.kind == "dropped.first")).first() is None


def test_a_block_inside_another_holds_its_rows_with_the_outer_ones(services, account_factory) -> None:
    """Nesting never drops the outer block's rows: the inner one's join them, and all go at the end."""
    account_id = account_factory()["id"]
    with services.db.transaction() as tx, written_together(tx):
        append_row(tx, SecurityEvent.__table__, {"account_id": account_id, "actor_id": None, "kind": "nested.outer",
                                                 "created_at": services.clock.now(), "ip": None, "data": {}})
        with written_together(tx):
            append_row(tx, SecurityEvent.__table__, {"account_id": account_id, "actor_id": None,
                                                     "kind": "nested.inner", "created_at": services.clock.now(),
                                                     "ip": None, "data": {}})
    with services.db.transaction() as tx:
        kinds = tx.execute(select(SecurityEvent.kind).where(SecurityEvent.account_id == account_id,
                                                            SecurityEvent.kind.like("nested.%"))
                           .order_by(SecurityEvent.id)).scalars().all()
    assert kinds == ["nested.outer", "nested.inner"]


def _event(services: Any, tx: Any, account_id: str, kind: str) -> None:
    append_row(tx, SecurityEvent.__table__, {"account_id": account_id, "actor_id": None, "kind": kind,
                                             "created_at": services.clock.now(), "ip": None, "data": {}})


def _kinds(services: Any, account_id: str) -> list[str]:
    with services.db.transaction() as tx:
        return list(tx.execute(select(SecurityEvent.kind).where(SecurityEvent.account_id == account_id,
                                                                SecurityEvent.kind.like("held.%"))
                               .order_by(SecurityEvent.id)).scalars())


def test_rows_held_in_a_savepoint_go_or_stay_with_it(services, account_factory) -> None:
    """A savepoint rolled back takes exactly the rows written inside it (the Session's, however it ends, and
    the connection's own); one released keeps them; the rows held before either stay, in their place."""
    account_id = account_factory()["id"]
    with services.db.transaction() as tx, written_together(tx):
        _event(services, tx, account_id, "held.before")
        savepoint = tx.begin_nested()
        _event(services, tx, account_id, "held.rolled.back")
        savepoint.rollback()
        try:
            with tx.begin_nested():
                _event(services, tx, account_id, "held.raised")
                raise RuntimeError("refused")
        except RuntimeError:
            pass
        with tx.begin_nested():
            _event(services, tx, account_id, "held.released")
        connection_savepoint = tx.connection().begin_nested()
        _event(services, tx, account_id, "held.connection.rolled.back")
        connection_savepoint.rollback()
        _event(services, tx, account_id, "held.after")
    assert _kinds(services, account_id) == ["held.before", "held.released", "held.after"]


def _read_back(path: str) -> Callable[[Any, str, Any], Any]:
    """One way a transaction can read (tx, session id, flow): each returns "read.back" if it sees the held row."""
    query = select(SecurityEvent.kind).where(SecurityEvent.kind == "read.back")
    return {
        "execute": lambda tx, _session_id, _flow: tx.execute(query).scalar_one_or_none(),
        "scalar": lambda tx, _session_id, _flow: tx.scalar(query),
        "scalars": lambda tx, _session_id, _flow: tx.scalars(query).first(),
        "connection.execute": lambda tx, _session_id, _flow: tx.connection().execute(query).scalar_one_or_none(),
        "exec_driver_sql": lambda tx, _session_id, _flow: tx.connection().exec_driver_sql(
            "SELECT kind FROM security_events WHERE kind = 'read.back'").scalar_one_or_none(),
        "get": lambda tx, session_id, _flow: tx.get(Session, session_id) and "read.back",
        "expired attribute": lambda tx, _session_id, flow: (tx.expire(flow), flow.state)[1],
    }[path]


@pytest.mark.parametrize("autoflush", [True, False], ids=["autoflush", "no_autoflush"])
@pytest.mark.parametrize("path", ["execute", "scalar", "scalars", "connection.execute", "exec_driver_sql", "get",
                                  "expired attribute"])
def test_every_read_in_the_transaction_sees_the_rows_held_so_far(services, account_factory, path, autoflush) -> None:
    account_id = account_factory()["id"]
    now = services.clock.now()
    with services.db.transaction() as tx, written_together(tx):
        _event(services, tx, account_id, "read.back")
        _, session = issue_session(services, tx, account_id, CLIENT, remember=False, aal=1)
        flow = SignInFlow(account_id=account_id, state="read.back", created_at=now, expires_at=now)
        add_now(tx, flow)
        with nullcontext() if autoflush else tx.no_autoflush:
            assert _read_back(path)(tx, session.id, flow) == "read.back"


def test_a_row_naming_a_row_of_a_table_first_held_later_is_written_after_it(services, account_factory) -> None:
    """Challenge, flow, challenge naming that flow: a table's rows go together only where none of them
    would then come before a row it names (SQLite checks each row as it goes in)."""
    account_id = account_factory()["id"]
    now = services.clock.now()

    def challenge(flow_id: str, tag: str) -> None:
        append_row(tx, DeviceChallenge.__table__, {"id": f"challenge-{tag}", "account_id": account_id,
                                                   "flow_id": flow_id, "code_mac": tag, "link_hash": tag,
                                                   "attempts": 0, "created_at": now, "expires_at": now,
                                                   "used_at": None})

    def flow() -> str:
        row = SignInFlow(account_id=account_id, state="started", created_at=now, expires_at=now)
        add_now(tx, row)
        return row.id

    with services.db.transaction() as tx:
        earlier = flow()
    with services.db.transaction() as tx, written_together(tx):
        challenge(earlier, "a")
        later = flow()
        challenge(later, "b")
        challenge(earlier, "c")
    with services.db.transaction() as tx:
        written = tx.execute(select(DeviceChallenge.id, DeviceChallenge.flow_id).order_by(DeviceChallenge.code_mac))
        assert written.all() == [("challenge-a", earlier), ("challenge-b", later), ("challenge-c", earlier)]


def test_a_row_upserted_twice_ends_as_the_second_left_it(services, account_factory) -> None:
    """Two statements of one chain cannot meet the same row (PostgreSQL runs them on one snapshot)."""
    account_id = account_factory()["id"]
    first = services.clock.now()
    with services.db.transaction() as tx, written_together(tx):
        remember_device(tx, first, account_id, CLIENT)
        _event(services, tx, account_id, "held.between")
        remember_device(tx, first + timedelta(seconds=1), account_id, CLIENT)
    with services.db.transaction() as tx:
        devices = [(device.first_seen_at, device.last_seen_at) for device in list_devices(tx, account_id)]
    assert devices == [(first, first + timedelta(seconds=1))]
