"""The guard's budgets under concurrency: every attempt counted once, none lost (issue 17) — on SQLite
and on PostgreSQL (READ COMMITTED, where a read-then-write counter would lose updates)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bastion.accounts.reauthentication import reauthenticate_with_password
from bastion.context import Client
from bastion.crypto import hash_token
from bastion.risk.device_step import verify_device_code
from bastion.sessions.validation import authenticate_session
from bastion.throttle.rules import counter_key
from tests.help.conftest import HOME_IP, Lab
from tests.races.racing import race

RACERS = 50
WRONG = "not the password at all 1"


@pytest.fixture(params=["sqlite", "postgresql"])
def roomy_lab(request: pytest.FixtureRequest, lab_factory: Callable[..., Lab]) -> Lab:
    """Budgets wide enough that every racer is checked and counted (none refused before counting)."""
    return lab_factory(kind=request.param, lockout_after=1000, password_disable_after=2000,
                       rate_limits="5000/10m/ip,5000/10m/subnet,5000/1h/device_account")


def test_fifty_concurrent_wrong_step_up_passwords_are_counted_exactly_fifty(roomy_lab: Lab) -> None:
    lab = roomy_lab
    owner = lab.signed_in()  # from the device "laptop": a known device, with its own counter
    session = authenticate_session(lab.services, owner["token"])
    client = Client(ip=HOME_IP, device_id=hash_token(lab.device_id("laptop")))
    outcomes = race(lambda _: reauthenticate_with_password(lab.services, session, WRONG, client), range(RACERS))
    assert outcomes == {"reauth.failed": RACERS}, outcomes
    counted = lab.services.throttle.store.count(lab.services.throttle.device_key(owner["email"], client.device_id),
                                                lab.clock.now())
    assert counted == RACERS


def test_fifty_concurrent_device_codes_across_two_sign_ins_are_counted_once_each(roomy_lab: Lab) -> None:
    lab = roomy_lab
    owner = lab.account()
    flows = [lab.device_flow(owner), lab.device_flow(owner)]  # the first one's code is replaced by the second's
    right = lab.device_code(owner["email"])
    wrong = "000000" if right != "000000" else "111111"
    client = Client(ip=HOME_IP, device_id=hash_token(lab.device_id("phone")))
    outcomes = race(lambda index: verify_device_code(lab.services, flows[index % 2], wrong, client), range(RACERS))
    assert set(outcomes) <= {"device.code_invalid", "device.attempts_exceeded", "device.verification_expired",
                             "device.locked", "flow.not_found"}, outcomes
    counted = lab.services.throttle.store.count(counter_key("device_account", owner["id"]), lab.clock.now())
    # Every racer that found its sign-in open was counted once (none lost, none twice); the others
    # came after the fifth wrong code had ended that sign-in and were refused unchecked.
    assert counted == RACERS - outcomes["flow.not_found"]
    assert outcomes["device.code_invalid"] <= 4  # each code's own five tries hold too
