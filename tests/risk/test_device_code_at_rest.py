"""The emailed device code at rest: kept only as a MAC under the key ring, like the other codes, so
someone who reads the database (a dump, a backup) cannot test the 10^6 possible codes offline."""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select

from bastion.crypto.keyring import KeyRing, generate_key
from bastion.risk.challenge import code_matches
from bastion.risk.models import DeviceChallenge
from tests.risk.conftest import Risky
from tests.risk.test_device_verification import ask_from_germany


def test_a_database_reader_without_the_key_cannot_test_a_guess(risky: Risky, clock) -> None:  # type: ignore[no-untyped-def]
    email, flow_id = ask_from_germany(risky, clock)
    code, _, _ = risky.verification_mail(email, 1)
    with risky.services.db.transaction() as tx:
        row = tx.execute(select(DeviceChallenge).where(DeviceChallenge.flow_id == flow_id)).scalar_one()
        stored, row_values = row.code_mac, [str(value) for value in (row.id, row.flow_id, row.account_id,
                                                                     row.link_hash, row.created_at)]
    # The service's key ring recognises the emailed code; a ring with any other key does not.
    assert code_matches(risky.services.keys, row_values[0], code, stored)
    assert not code_matches(KeyRing([generate_key()]), row_values[0], code, stored)
    # Nothing the row holds keys the MAC, and no unkeyed digest of the code is stored.
    for key in row_values:
        for message in (code, f"{row_values[0]}:{code}"):
            assert hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest() != stored
    assert stored not in {hashlib.sha256(code.encode()).hexdigest(),
                          hashlib.sha256(f"{row_values[0]}:{code}".encode()).hexdigest()}
