"""Trust is fingerprinted over the password hash and the enrolled factors (requirements §20):
changing either revokes every trusted device without any flow having to remember it."""

from __future__ import annotations

from datetime import timedelta

from bastion.accounts.models import Device
from bastion.accounts.repo import get_account
from bastion.mfa.passkeys.models import Passkey
from bastion.mfa.totp.models import TotpCredential
from bastion.risk.trust import fingerprint, is_trusted


def test_password_and_factor_changes_change_the_fingerprint(services, account_factory) -> None:  # type: ignore[no-untyped-def]
    account_id = account_factory()["id"]
    now = services.clock.now()
    with services.db.transaction() as tx:
        account = get_account(tx, account_id)
        before = fingerprint(tx, account)
        device = Device(account_id=account_id, device_hash="d" * 64, first_seen_at=now, last_seen_at=now,
                        trusted_until=now + timedelta(days=30), trust_fingerprint=before)
        assert is_trusted(device, before, now) and not is_trusted(device, before, now + timedelta(days=31))
        tx.add(TotpCredential(account_id=account_id, secret="x", created_at=now, confirmed_at=now))
        tx.flush()
        with_totp = fingerprint(tx, account)
        tx.add(Passkey(account_id=account_id, credential_id="c", public_key="k", name="key", created_at=now))
        tx.flush()
        with_passkey = fingerprint(tx, account)
        account.password_hash = "changed"
        with_new_password = fingerprint(tx, account)
    assert len({before, with_totp, with_passkey, with_new_password}) == 4
    assert not is_trusted(device, with_totp, now)
