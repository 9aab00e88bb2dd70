"""Checking a passkey's answer (WebAuthn assertion) against the stored challenge and passkey.

Each ceremony's challenge is stored server-side (as its hash) and used up by the first answer
that presents it, valid or not. A sign counter that did not move forward refuses the passkey as
cloned (`passkey.cloned`) and alerts the owner.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.accounts.security_emails import send_security_email
from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.mfa.passkeys import repo, webauthn
from bastion.services import Services

log = logging.getLogger("bastion.mfa")


@dataclass(frozen=True, slots=True)
class UsedPasskey:
    id: str
    account_id: str
    name: str
    public_key: str
    sign_count: int
    challenge_flow_id: str | None


def check_assertion(services: Services, credential: dict[str, Any], purpose: str,
                    now: datetime) -> tuple[UsedPasskey, webauthn.Assertion]:
    """Use up the presented challenge (whatever follows), then verify the signature against the passkey."""
    challenge = webauthn.presented_challenge(credential)
    credential_id = webauthn.presented_credential_id(credential)
    if challenge is None or credential_id is None:
        raise BastionError(Reason.PASSKEY_INVALID)
    with services.db.transaction() as tx:
        row = repo.consume_challenge(tx, webauthn.challenge_hash(challenge), purpose, now)
        challenge_flow_id = row.flow_id if row is not None else None
    if row is None:
        raise BastionError(Reason.PASSKEY_INVALID)
    with services.db.transaction() as tx:
        passkey = repo.find_by_credential_id(tx, credential_id)
        if passkey is None:
            raise BastionError(Reason.PASSKEY_INVALID)
        used = UsedPasskey(passkey.id, passkey.account_id, passkey.name, passkey.public_key, passkey.sign_count,
                           challenge_flow_id)
    assertion = webauthn.verify_assertion(webauthn.relying_party(services.settings), credential, challenge,
                                          used.public_key)
    return used, assertion


def advance_counter(tx: Tx, used: UsedPasskey, presented: int, now: datetime) -> None:
    if not repo.advance_counter(tx, used.id, used.sign_count, presented, now):
        raise BastionError(Reason.PASSKEY_CLONED)


def alert_cloned(services: Services, tx: Tx, used: UsedPasskey, presented: int, client: Client) -> None:
    record_event(tx, services.clock.now(), "mfa.passkey_cloned", used.account_id, client, passkey_id=used.id,
                 stored_count=used.sign_count, presented_count=presented)
    log.warning("passkey sign counter went back", extra={"account_id": used.account_id, "factor_id": used.id})
    send_security_email(services, tx, used.account_id, "passkey_cloned", f"passkey_cloned/{used.id}/{presented}",
                        client, name=used.name)
