"""Expired rows are swept, each kind some time after it expired; live ones stay."""

from __future__ import annotations

from sqlalchemy import func, select

from bastion.sessions.models import Session
from bastion.signin.models import SignInFlow
from bastion.throttle.models import ThrottleCounter
from bastion.worker import sweep_expired
from tests.conftest import DEFAULT_PASSWORD


def count(services, model) -> int:  # type: ignore[no-untyped-def]
    with services.db.transaction() as tx:
        return tx.execute(select(func.count()).select_from(model)).scalar_one()


def test_sweeping_removes_only_what_expired_long_enough_ago(app_client, account_factory, services, clock) -> None:
    account = account_factory()
    for _ in range(2):
        app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    app_client.post("/v1/login", json={"email": account["email"], "password": "wrong password for the sweep"})
    flows, sessions, counters = count(services, SignInFlow), count(services, Session), count(services, ThrottleCounter)
    assert flows and sessions and counters
    assert sweep_expired(services)["sign_in_flows"] == 0  # nothing is old yet
    clock.advance(days=2)
    removed = sweep_expired(services)
    assert removed["sign_in_flows"] == flows and removed["sessions"] == 0
    clock.advance(days=31)
    assert sweep_expired(services)["sessions"] == sessions
    assert count(services, ThrottleCounter) == 0
    # A live session made now survives the next sweep.
    app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    sweep_expired(services)
    assert count(services, Session) == 1
