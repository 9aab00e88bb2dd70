"""A sign-in's locking read that waits for another transaction reads its look-ups after the wait.

On PostgreSQL a statement sees one snapshot, taken when it starts: one that waits for the row's
lock gets the row as the holder left it, but the look-ups beside it as they were before the wait.
The sign-in reads the risk history and the second factors with its lock, so a sign-in racing
another (or a second factor's removal) would judge by what that one had not yet written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import bindparam, exists

from bastion.accounts.devices import remember_device
from bastion.accounts.models import Device
from bastion.accounts.repo import lock_account, lock_account_reading
from bastion.context import Client
from tests.help.conftest import Lab

HAS_DEVICES = exists().where(Device.account_id == bindparam("account_id")).label("has_devices")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_locking_read_that_waited_sees_what_the_holder_wrote(kind: str, lab_factory: Callable[..., Lab]) -> None:
    lab = lab_factory(kind=kind)
    person = lab.account()
    services = lab.services
    holding = threading.Event()
    seen: list[bool] = []

    def sign_in_beside() -> None:
        holding.wait(5)
        with services.db.transaction() as tx:
            _account, row = lock_account_reading(tx, person["id"], (HAS_DEVICES,))
            seen.append(row.has_devices)

    other = threading.Thread(target=sign_in_beside)
    other.start()
    with services.db.transaction() as tx:
        lock_account(tx, person["id"])
        remember_device(tx, services.clock.now(), person["id"], Client(ip="192.0.2.7", device_id="d" * 43))
        holding.set()
        time.sleep(0.5)  # the other transaction's statement starts, and waits for the lock
    other.join(10)
    assert seen == [True]
