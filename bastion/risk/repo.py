"""The device-verification challenges in storage: issued one at a time per account, each code's
attempts counted and each challenge used by a conditional UPDATE whose result decides (requirements
§20). The reads of other features' rows (the devices, the sign-in history) are in history.py,
through their owners' columns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session as Tx

from bastion.risk.models import DeviceChallenge
from bastion.store.changes import rows_changed


def void_open_challenges(tx: Tx, account_id: str, now: datetime) -> None:
    """Every challenge of the account not yet used stops working (a new one is being issued)."""
    tx.execute(update(DeviceChallenge).where(DeviceChallenge.account_id == account_id,
                                             DeviceChallenge.used_at.is_(None)).values(used_at=now))


def add_challenge(tx: Tx, challenge_id: str, account_id: str, flow_id: str, code_mac: str, link_hash: str,
                  now: datetime, expires_at: datetime) -> None:
    tx.flush()  # a flow started in this transaction is written before the challenge that refers to it
    tx.add(DeviceChallenge(id=challenge_id, account_id=account_id, flow_id=flow_id, code_mac=code_mac,
                           link_hash=link_hash, attempts=0, created_at=now, expires_at=expires_at))


def open_challenge_of_flow(tx: Tx, flow_id: str) -> DeviceChallenge | None:
    """The sign-in's challenge not yet used, expired or not."""
    # The open one: issuing a code closes the older ones, which may share its timestamp.
    return tx.execute(select(DeviceChallenge).where(DeviceChallenge.flow_id == flow_id,
                                                    DeviceChallenge.used_at.is_(None))
                      .order_by(DeviceChallenge.created_at.desc()).limit(1)).scalar_one_or_none()


def challenge_by_link_hash(tx: Tx, link_hash: str) -> DeviceChallenge | None:
    return tx.execute(select(DeviceChallenge).where(DeviceChallenge.link_hash == link_hash)).scalar_one_or_none()


def count_attempt(tx: Tx, challenge_id: str, limit: int) -> int | None:
    """The code's attempts with this one, counted before the code is checked; None when the challenge
    is used or already had `limit` attempts (one statement: parallel guesses cannot overtake the count)."""
    return tx.execute(
        update(DeviceChallenge)
        .where(DeviceChallenge.id == challenge_id, DeviceChallenge.used_at.is_(None),
               DeviceChallenge.attempts < limit)
        .values(attempts=DeviceChallenge.attempts + 1)
        .returning(DeviceChallenge.attempts)
    ).scalar_one_or_none()


def use_challenge(tx: Tx, challenge_id: str, now: datetime) -> bool:
    """Of uses at once, exactly one wins; False when the challenge was used already."""
    return rows_changed(tx, update(DeviceChallenge)
                        .where(DeviceChallenge.id == challenge_id, DeviceChallenge.used_at.is_(None))
                        .values(used_at=now)) == 1
