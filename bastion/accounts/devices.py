"""Devices that signed in to an account (requirements §18), known by a hash of their identifier.

Each keeps its parsed user agent (ua-parser: browser, OS, device family), first and last seen,
last IP and location (country, AS organisation), and — when the person chose "remember this
device" — until when it is trusted (`bastion.risk.trust`). Forgetting a device deletes the row:
it is then neither known nor trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Label,
    String,
    bindparam,
    case,
    delete,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.orm import Session as Tx

from bastion.accounts.models import Account, Device
from bastion.agents import ParsedAgent as ParsedAgent
from bastion.agents import describe_agent as describe_agent
from bastion.agents import parse_agent as parse_agent
from bastion.context import Client
from bastion.geo import locate
from bastion.store.changes import rows_changed
from bastion.store.upsert import insert_or_update

# Built once (the sign-in path): building a statement costs more than running it from the compiled cache.
# THIS_DEVICE: the one condition for "this account's device with this hash".
THIS_DEVICE = (Device.account_id == bindparam("account_id"), Device.device_hash == bindparam("device_hash"))
_DEVICE = select(Device).where(*THIS_DEVICE)
_RISK_SIGNALS = (
    select(Device.id).where(*THIS_DEVICE).scalar_subquery().label("device_id"),
    select(Device.trusted_until).where(*THIS_DEVICE).scalar_subquery().label("trusted_until"),
    select(Device.trust_fingerprint).where(*THIS_DEVICE).scalar_subquery().label("trust_fingerprint"),
    exists().where(Device.account_id == bindparam("account_id")).label("has_devices"),
)


def risk_signals() -> tuple[Label[Any], ...]:
    """This device (device_id when known, trusted_until, trust_fingerprint) and whether the account
    has any (has_devices): columns for the risk history's one statement, whose parameters are
    account_id and device_hash."""
    return _RISK_SIGNALS
# The email is looked up from a one-row probe LEFT JOIN accounts, so an unknown email still gets a
# row and its device look-up (under account id ''). Its row holds stand-in values shaped like an
# account's (an id, a hash), so decoding it and building the answer cost the same.
_PROBE = select(bindparam("email", type_=String).label("email")).subquery("probe")
_UNKNOWN = Account.id.is_(None)
_STAND_IN_ID = "00000000-0000-4000-8000-000000000000"
_STAND_IN_HASH = "$argon2id$v=19$m=19456,t=8,p=1$" + "A" * 22 + "$" + "A" * 43
_ACCOUNT_AND_DEVICE = select(
    case((_UNKNOWN, literal(_STAND_IN_ID)), else_=Account.id).label("id"),
    case((_UNKNOWN, literal(_STAND_IN_HASH)), else_=Account.password_hash).label("password_hash"),
    _UNKNOWN.label("unknown"),
    select(Device.first_seen_at).where(Device.account_id == func.coalesce(Account.id, ""),
                                       Device.device_hash == bindparam("device_hash"))
    .scalar_subquery().label("device_since"),
).select_from(_PROBE).outerjoin(Account, Account.email == _PROBE.c.email)


@dataclass(frozen=True, slots=True)
class PasswordOwner:
    """What a password check needs of the account an email names: which one, and its hash."""

    id: str
    password_hash: str | None


def account_and_device_since(reader: Connection, email: str,
                             device_hash: str | None) -> tuple[PasswordOwner | None, datetime | None]:
    """The account behind a normalised email, and when this device first signed in to it (None:
    never, or no such account).

    One statement, one row and one answer built from it whether the email is known or not, so
    time cannot tell the two apart (requirements §6). It stands alone (`Database.reading_alone`):
    the sign-in reads the account again, locked, once the password matched.
    """
    row = reader.execute(_ACCOUNT_AND_DEVICE, {"email": email, "device_hash": device_hash or ""}).one()
    owner = PasswordOwner(row.id, row.password_hash)
    return (None, None) if row.unknown else (owner, row.device_since)


def find_device(tx: Tx, account_id: str, device_hash: str | None) -> Device | None:
    if not device_hash:
        return None
    return tx.execute(_DEVICE, {"account_id": account_id, "device_hash": device_hash}).scalar_one_or_none()


_SEEN = ("last_seen_at", "last_ip", "user_agent", "browser", "os", "device_family", "last_country", "last_asn_name")


def remember_device(tx: Tx, now: datetime, account_id: str, client: Client) -> None:
    """Record a successful sign-in from this device (first time: a new row; later: last seen)."""
    if not client.device_id:
        return
    agent = parse_agent(client.user_agent)
    location = locate(client.ip)
    values = dict(account_id=account_id, device_hash=client.device_id, first_seen_at=now,
                  last_seen_at=now, last_ip=client.ip, user_agent=client.user_agent, browser=agent.browser,
                  os=agent.os, device_family=agent.device_family, last_country=location.country,
                  last_asn_name=location.asn_name)
    insert_or_update(tx, Device.__table__, values, conflict_columns=("account_id", "device_hash"), update_columns=_SEEN)


def trust_device_until(tx: Tx, account_id: str, device_hash: str, until: datetime, fingerprint: str) -> None:
    """"Remember this device": trusted until then, over this security state (the risk feature's fingerprint)."""
    tx.execute(update(Device).where(Device.account_id == account_id, Device.device_hash == device_hash)
               .values(trusted_until=until, trust_fingerprint=fingerprint))


def device_hashes_for_email(tx: Tx, email: str) -> list[str]:
    """The devices that signed in to the account with this email (none for an unknown email)."""
    return list(tx.execute(select(Device.device_hash).join(Account, Account.id == Device.account_id)
                           .where(Account.email == email)).scalars())


def list_devices(tx: Tx, account_id: str) -> list[Device]:
    return list(tx.execute(select(Device).where(Device.account_id == account_id)
                           .order_by(Device.last_seen_at.desc(), Device.id)).scalars())


def find_device_by_id(tx: Tx, device_id: str) -> Device | None:
    return tx.get(Device, device_id)


def devices_with_hash(tx: Tx, device_hash: str) -> list[Device]:
    """This browser or app on every account it signed in to (the same device cookie)."""
    return list(tx.execute(select(Device).where(Device.device_hash == device_hash)).scalars())


def devices_last_seen_from(tx: Tx, address: str, limit: int, prefix: bool = False) -> list[Device]:
    """Devices last seen at this address, latest first; with `prefix`, at any address that starts
    with it (a network's leading octets or groups)."""
    where = Device.last_ip.like(address + "%") if prefix else Device.last_ip == address
    return list(tx.execute(select(Device).where(where).order_by(Device.last_seen_at.desc()).limit(limit)).scalars())


def forget_device(tx: Tx, account_id: str, device_id: str) -> bool:
    """Only this account's devices can match; True when one was forgotten."""
    return rows_changed(tx, delete(Device).where(Device.account_id == account_id, Device.id == device_id)) == 1
