"""Devices that signed in to an account (REQUIREMENTS 18), known by a hash of their identifier."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session as Tx

from bastion.context import Client
from bastion.store.models import Device
from bastion.store.upsert import insert_ignoring_duplicates


def is_known_device(tx: Tx, account_id: str, device_hash: str | None) -> bool:
    if not device_hash:
        return False
    return tx.execute(
        select(Device.id).where(Device.account_id == account_id, Device.device_hash == device_hash)
    ).first() is not None


def remember_device(tx: Tx, now: datetime, account_id: str, client: Client) -> None:
    """Record a successful sign-in from this device (first time: a new row; later: last seen)."""
    if not client.device_id:
        return
    inserted = insert_ignoring_duplicates(
        tx, Device,
        dict(account_id=account_id, device_hash=client.device_id, first_seen_at=now, last_seen_at=now,
             last_ip=client.ip, user_agent=client.user_agent),
        conflict_columns=("account_id", "device_hash"),
    )
    if not inserted:
        tx.execute(
            update(Device)
            .where(Device.account_id == account_id, Device.device_hash == client.device_id)
            .values(last_seen_at=now, last_ip=client.ip, user_agent=client.user_agent)
        )
