"""Parallel wrong passwords cannot slip past the pause while the first ones are hashed (requirements §2):
each attempt is counted before its hash, and past the threshold one attempt at a time is checked —
on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bastion.context import Client
from bastion.signin.password import sign_in_with_password
from tests.help.conftest import Lab
from tests.races.racing import race

RACERS = 40
WRONG = "not the password at all 1"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_forty_parallel_wrong_passwords_check_five_then_pause(kind: str, lab_factory: Callable[..., Lab]) -> None:
    lab = lab_factory(kind=kind, password_disable_after=100)
    victim = lab.account()
    client = Client(ip="192.0.2.77")
    outcomes = race(lambda _: sign_in_with_password(lab.services, victim["email"], WRONG, client), range(RACERS))
    # Five checked (the fifth starts the pause); every other one refused before its hash, or turned away
    # by a busy hash gate — never checked.
    assert outcomes["credentials.invalid"] == 5, outcomes
    assert set(outcomes) <= {"credentials.invalid", "account.locked", "rate_limited"}, outcomes
    counted = lab.services.throttle.store.count(lab.services.throttle.identifier_key(victim["email"]),
                                                lab.clock.now())
    assert counted == 5
