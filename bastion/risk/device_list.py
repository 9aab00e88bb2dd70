"""The owner's view of their devices (requirements §18, §20): in words, where, and trusted until when.

Trust counts only while the account's security state is the one it was granted over
(`bastion.risk.trust`): after a password or factor change a device shows as not trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bastion.accounts.devices import describe_agent, find_device, forget_device, list_devices
from bastion.accounts.repo import get_account
from bastion.accounts.words import place_words
from bastion.audit import record_event
from bastion.context import Client
from bastion.risk.trust import fingerprint, is_trusted
from bastion.services import Services


@dataclass(frozen=True, slots=True)
class KnownDevice:
    id: str
    device: str
    browser: str | None
    os: str | None
    device_family: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    last_ip: str | None
    location: str
    country: str | None
    trusted_until: datetime | None
    current: bool


def known_devices(services: Services, account_id: str, current_device_hash: str | None) -> list[KnownDevice]:
    """Most recently seen first; `current` marks the device asking."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        current_fingerprint = fingerprint(tx, get_account(tx, account_id))
        current = find_device(tx, account_id, current_device_hash)
        return [
            KnownDevice(id=item.id, device=describe_agent(item.user_agent), browser=item.browser, os=item.os,
                        device_family=item.device_family, first_seen_at=item.first_seen_at,
                        last_seen_at=item.last_seen_at, last_ip=item.last_ip,
                        location=place_words(item.last_country), country=item.last_country,
                        trusted_until=item.trusted_until if is_trusted(item, current_fingerprint, now) else None,
                        current=current is not None and current.id == item.id)
            for item in list_devices(tx, account_id)
        ]


def forget_known_device(services: Services, account_id: str, device_id: str, client: Client) -> bool:
    """Neither known nor trusted any more: its next sign-in is a new device's. False when there is no such device."""
    with services.db.transaction() as tx:
        forgotten = forget_device(tx, account_id, device_id[:64])
        if forgotten:
            record_event(tx, services.clock.now(), "device.forgotten", account_id, client, device=device_id[:64])
    return forgotten
