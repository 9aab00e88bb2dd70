"""Staff rules and restriction rules hold in the domain, whichever door (API, page, command) asks."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from bastion.accounts.staff import ensure_staff, existing_account_id, staff_roles_in_effect
from bastion.accounts.status import restrict_account
from bastion.context import Client
from bastion.errors import BastionError
from bastion.sessions.tokens import SessionInfo

MOMENT = datetime(2026, 1, 5, 9, 0)
SESSION = SessionInfo("s1", "a1", "agent@example.com", frozenset({"support"}), MOMENT, MOMENT, MOMENT,
                      MOMENT + timedelta(hours=1), MOMENT + timedelta(hours=1), aal=2, remember=False)


def refusal_of(action) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(BastionError) as refused:
        action()
    return refused.value.code


def test_staff_work_needs_the_role_and_a_second_factor() -> None:
    assert ensure_staff(SESSION, ("support", "admin")) is SESSION
    assert refusal_of(lambda: ensure_staff(SESSION, ("admin",))) == "permission.denied"
    assert refusal_of(lambda: ensure_staff(replace(SESSION, aal=1), ("support",))) == "permission.mfa_required"
    assert refusal_of(lambda: ensure_staff(replace(SESSION, roles=frozenset()), ("support",))) == "permission.denied"


def test_a_session_acts_with_its_staff_roles_only_after_a_second_factor() -> None:
    assert staff_roles_in_effect(frozenset({"support", "admin"}), 2) == {"support", "admin"}
    assert staff_roles_in_effect(frozenset({"support", "admin"}), 1) == frozenset()
    assert staff_roles_in_effect(frozenset(), 2) == frozenset()


def test_staff_act_only_on_an_account_that_exists(services, account_factory) -> None:  # type: ignore[no-untyped-def]
    account = account_factory()
    assert existing_account_id(services, account["id"]) == account["id"]
    assert refusal_of(lambda: existing_account_id(services, "no-such-account")) == "resource.not_found"
    assert refusal_of(lambda: existing_account_id(services, "x" * 65)) == "resource.not_found"


def test_a_ban_needs_an_end_and_only_suspensions_and_bans_exist(services, account_factory) -> None:  # type: ignore[no-untyped-def]
    account = account_factory()
    ban_forever = lambda: restrict_account(services, account["id"], "banned", "abuse", None, None, Client())
    assert refusal_of(ban_forever) == "request.invalid"
    exile = lambda: restrict_account(services, account["id"], "exiled", "abuse", None, None, Client())
    assert refusal_of(exile) == "request.invalid"
    restrict_account(services, account["id"], "suspended", "review", None, None, Client())  # a suspension may be open
