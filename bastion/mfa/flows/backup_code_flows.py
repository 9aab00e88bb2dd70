"""Backup codes: regenerating a set (step-up), checking a typed code, telling the owner of each use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError
from bastion.mfa import backup_codes
from bastion.mfa.factors import has_second_factor
from bastion.mfa.flows.notices import notify, record_factor_change
from bastion.services import Services
from bastion.sessions.stepup import require_recent_auth
from bastion.sessions.tokens import SessionInfo
from bastion.store.types import new_id


def regenerate_backup_codes(services: Services, session: SessionInfo, client: Client) -> list[str]:
    """A new set of 10, shown once; the old set stops working at once."""
    require_recent_auth(services, session)
    now = services.clock.now()
    with services.db.transaction() as tx:
        if not has_second_factor(tx, session.account_id):
            raise BastionError("mfa.method_unavailable",
                               detail="Backup codes stand in for an authenticator app or a passkey: set one up first.")
        codes = backup_codes.issue_set(tx, services.keys, session.account_id, now)
        record_factor_change(services, tx, session.account_id, "backup_codes_regenerated", client)
    return codes


@dataclass(frozen=True, slots=True)
class TypedCode:
    set_id: str
    mac: str


def check_backup_code(services: Services, account_id: str, typed: str) -> TypedCode:
    """The keyed hash to consume (`backup_codes.use_code`); refuses what cannot be a live code."""
    normalized = backup_codes.normalize(typed)
    with services.db.transaction() as tx:
        code_set = backup_codes.active_set(tx, account_id)
        if code_set is None:
            raise BastionError("mfa.method_unavailable")
        key = backup_codes.set_key(services.keys, code_set)
        set_id = code_set.id
    if normalized is None:
        raise BastionError("mfa.backup_code_invalid")
    return TypedCode(set_id, backup_codes.code_mac(key, normalized))


def consume_backup_code(tx: Tx, code: TypedCode, now: datetime) -> None:
    if not backup_codes.use_code(tx, code.set_id, code.mac, now):
        raise BastionError("mfa.backup_code_invalid")


def report_backup_code_used(services: Services, tx: Tx, account_id: str, client: Client, during: str) -> None:
    """Each use is audited and emailed, with how many are left."""
    status = backup_codes.status(tx, account_id)
    remaining = status.remaining if status else 0
    record_event(tx, services.clock.now(), "mfa.backup_code_used", account_id, client, during=during,
                 remaining=remaining)
    notify(services, tx, account_id, "backup_code_used", f"backup_code_used/{new_id()}", client,
           remaining=remaining)
