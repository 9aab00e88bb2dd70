"""Adding, listing, renaming and removing passkeys (requirements §12, §13).

Adding, renaming and removing need a recent sign-in or step-up (and a staff account's first factor
its emailed enrolment link, `bastion.mfa.flows.staff_enrolment`), and are audited and emailed. The
registration challenge is stored (as its hash) for the signed-in account and used once. The first
second factor of an account comes with a set of backup codes; removing the last one voids them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bastion.accounts.repo import get_account
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.mfa.backup_codes import codes as backup_codes
from bastion.mfa.backup_codes import repo as backup_code_repo
from bastion.mfa.flows.factor_removal import after_factor_removed
from bastion.mfa.flows.notices import record_factor_change
from bastion.mfa.flows.staff_enrolment import check_may_enrol, claim_enrolment
from bastion.mfa.passkeys import repo as passkey_repo
from bastion.mfa.passkeys import webauthn as passkeys
from bastion.mfa.passkeys.models import Passkey
from bastion.mfa.registry import METHODS
from bastion.services import Services
from bastion.sessions.stepup import require_recent_auth
from bastion.sessions.tokens import SessionInfo


@dataclass(frozen=True, slots=True)
class PasskeyDetails:
    """What the owner sees of a passkey: never its key."""

    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backed_up: bool
    transports: list[str]

    @classmethod
    def of(cls, passkey: Passkey) -> PasskeyDetails:
        return cls(passkey.id, passkey.name, passkey.created_at, passkey.last_used_at, passkey.backed_up,
                   list(passkey.transports))


@dataclass(frozen=True, slots=True)
class Registered:
    passkey: PasskeyDetails
    backup_codes: list[str] | None  # the first factor's codes, shown once


def registration_options(services: Services, session: SessionInfo) -> dict[str, Any]:
    require_recent_auth(services, session)
    now = services.clock.now()
    challenge = passkeys.new_challenge()
    with services.db.transaction() as tx:
        account = get_account(tx, session.account_id)
        check_may_enrol(tx, now, session)
        existing = [item.credential_id for item in passkey_repo.list_passkeys(tx, account.id)]
        passkey_repo.store_challenge(tx, passkeys.challenge_hash(challenge), "register", now,
                                     timedelta(minutes=services.settings.passkey_challenge_minutes),
                                     account_id=account.id)
        email = account.email
    return passkeys.registration_options(passkeys.relying_party(services.settings), session.account_id, email,
                                         challenge, existing)


def register_passkey(services: Services, session: SessionInfo, credential: dict[str, Any], name: str,
                     client: Client) -> Registered:
    require_recent_auth(services, session)
    now = services.clock.now()
    challenge = passkeys.presented_challenge(credential)
    if challenge is None:
        raise BastionError(Reason.PASSKEY_REGISTRATION_FAILED)
    with services.db.transaction() as tx:
        row = passkey_repo.consume_challenge(tx, passkeys.challenge_hash(challenge), "register", now)
    if row is None or row.account_id != session.account_id:
        raise BastionError(Reason.PASSKEY_REGISTRATION_FAILED)
    new = passkeys.verify_registration(passkeys.relying_party(services.settings), credential, challenge)
    with services.db.transaction() as tx:
        claim_enrolment(tx, now, session)
        first_factor = not METHODS.has_second_factor(tx, session.account_id)
        passkey = passkey_repo.add_passkey(tx, session.account_id, new, name, now)
        if passkey is None:
            raise BastionError(Reason.PASSKEY_REGISTRATION_FAILED, detail=_("This passkey is already registered."))
        codes = None
        if first_factor or backup_code_repo.active_set(tx, session.account_id) is None:
            codes = backup_codes.issue_set(tx, services.keys, session.account_id, now)
        record_factor_change(services, tx, session.account_id, "passkey_added", client, name=name)
    return Registered(PasskeyDetails.of(passkey), codes)


def list_passkeys(services: Services, account_id: str) -> list[PasskeyDetails]:
    with services.db.transaction() as tx:
        return [PasskeyDetails.of(passkey) for passkey in passkey_repo.list_passkeys(tx, account_id)]


def rename_passkey(services: Services, session: SessionInfo, passkey_id: str, name: str,
                   client: Client) -> PasskeyDetails:
    require_recent_auth(services, session)
    with services.db.transaction() as tx:
        if not passkey_repo.rename_passkey(tx, session.account_id, passkey_id, name):
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such passkey on your account."))
        record_factor_change(services, tx, session.account_id, "passkey_renamed", client, name=name)
        passkey = passkey_repo.get_passkey(tx, session.account_id, passkey_id)
        if passkey is None:  # renamed just above, in this transaction
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such passkey on your account."))
        return PasskeyDetails.of(passkey)


def remove_passkey(services: Services, session: SessionInfo, passkey_id: str, client: Client) -> None:
    require_recent_auth(services, session)
    with services.db.transaction() as tx:
        passkey = passkey_repo.get_passkey(tx, session.account_id, passkey_id)
        if passkey is None:
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such passkey on your account."))
        name = passkey.name
        passkey_repo.remove_passkey(tx, session.account_id, passkey_id)
        record_factor_change(services, tx, session.account_id, "passkey_removed", client, name=name)
        after_factor_removed(services, tx, session.account_id, client)
