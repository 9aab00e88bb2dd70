"""The audit tables' statements, but for writing an event (events.py): the chain's head, sealing and
re-signing events, the walks that check the chain, and the reads of events for staff and other features.

Nothing here changes what an event says: the database refuses any change but sealing (models.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, select, update
from sqlalchemy.orm import Session as Tx

from bastion.audit.models import AuditChainHead, SecurityEvent

HEAD_ID = 1  # the head is one row


def chain_head(tx: Tx) -> AuditChainHead:
    return tx.get_one(AuditChainHead, HEAD_ID)


def lock_chain_head(tx: Tx) -> AuditChainHead:
    """The head, its row locked until the transaction ends: sealers and re-signers take turns on it."""
    return tx.execute(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()).scalar_one()


# Built once: the sealer runs every pass of the background worker, two events for each sign-in.
_EVENTS = SecurityEvent.__table__
_UNSEALED = (select(_EVENTS.c.id, _EVENTS.c.account_id, _EVENTS.c.actor_id, _EVENTS.c.kind, _EVENTS.c.created_at,
                    _EVENTS.c.ip, _EVENTS.c.data)
             .where(_EVENTS.c.chain_seq.is_(None)).order_by(_EVENTS.c.id).limit(bindparam("batch")))
_SEAL = (update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id"))
         .values(chain_seq=bindparam("seq"), chain_prev=bindparam("prev"), chain_hash=bindparam("digest"),
                 chain_mac=bindparam("mac")))


def unsealed_events(tx: Tx, batch: int) -> Sequence[Row[*tuple[Any, ...]]]:
    """Up to `batch` events not in the chain yet, oldest id first: rows of what each says, nothing more."""
    return tx.execute(_UNSEALED, {"batch": batch}).all()


def seal_events(tx: Tx, seals: list[dict[str, Any]]) -> None:
    """Each event's place in the chain (event_id, seq, prev, digest, mac): one executemany."""
    tx.execute(_SEAL, seals)


def count_unsealed(tx: Tx) -> int:
    return tx.execute(select(func.count()).where(SecurityEvent.chain_seq.is_(None))).scalar_one()


def seals_after(tx: Tx, after: int, batch: int) -> Sequence[Row[int, str | None, str | None]]:
    """(id, chain_hash, chain_mac) of the sealed events after id `after`, a batch at a time."""
    return tx.execute(select(SecurityEvent.id, SecurityEvent.chain_hash, SecurityEvent.chain_mac)
                      .where(SecurityEvent.chain_seq.is_not(None), SecurityEvent.id > after)
                      .order_by(SecurityEvent.id).limit(batch)).all()


def renew_seal_mac(tx: Tx, event_id: int, mac: str) -> None:
    """The seal's MAC made again under the current key (its hash stays as it is)."""
    tx.execute(update(SecurityEvent).where(SecurityEvent.id == event_id).values(chain_mac=mac))


def events_at_positions(tx: Tx, first: int, last: int, batch: int) -> list[SecurityEvent]:
    """Sealed events from position `first` to `last`, in chain order, a batch at a time."""
    return list(tx.execute(select(SecurityEvent)
                           .where(SecurityEvent.chain_seq >= first, SecurityEvent.chain_seq <= last)
                           .order_by(SecurityEvent.chain_seq).limit(batch)).scalars())


def event_with_hash(tx: Tx, chain_hash: str | None) -> int | None:
    """The id of the event sealed with this hash, if one still is."""
    return tx.execute(select(SecurityEvent.id).where(SecurityEvent.chain_hash == chain_hash)).scalar_one_or_none()


def positions_beyond(tx: Tx, seq: int, limit: int) -> Sequence[Row[int, int | None]]:
    """(id, chain_seq) of events claiming a position past `seq`, in chain order."""
    return tx.execute(select(SecurityEvent.id, SecurityEvent.chain_seq).where(SecurityEvent.chain_seq > seq)
                      .order_by(SecurityEvent.chain_seq).limit(limit)).all()


def hashes_at(tx: Tx, positions: Collection[int]) -> dict[int | None, str | None]:
    """Chain position → the hash of the event sealed there."""
    return dict(tx.execute(select(SecurityEvent.chain_seq, SecurityEvent.chain_hash)
                           .where(SecurityEvent.chain_seq.in_(positions))).all())


def events_page(tx: Tx, account_id: str | None = None, actor_id: str | None = None, kind: str | None = None,
                before: int | None = None, limit: int = 50) -> list[SecurityEvent]:
    """One page of events, newest first; the last id of a page is `before` for the next one."""
    query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
    if account_id is not None:
        query = query.where(SecurityEvent.account_id == account_id)
    if actor_id is not None:
        query = query.where(SecurityEvent.actor_id == actor_id)
    if kind is not None:
        query = query.where(SecurityEvent.kind == kind)
    if before is not None:
        query = query.where(SecurityEvent.id < before)
    return list(tx.execute(query).scalars())


def account_events(tx: Tx, account_id: str, limit: int) -> list[SecurityEvent]:
    """The account's events, oldest first, up to `limit` (its whole record, for an export)."""
    return list(tx.execute(select(SecurityEvent).where(SecurityEvent.account_id == account_id)
                           .order_by(SecurityEvent.id).limit(limit)).scalars())


def account_events_of_kinds(tx: Tx, account_id: str, since: datetime, kinds: Collection[str],
                            kind_prefixes: Collection[str], limit: int) -> list[SecurityEvent]:
    """The account's events from `since` whose kind is one of `kinds` or starts with one of
    `kind_prefixes`, oldest first, up to `limit`."""
    kind = or_(*(SecurityEvent.kind.like(prefix + "%") for prefix in kind_prefixes), SecurityEvent.kind.in_(kinds))
    return list(tx.execute(select(SecurityEvent).where(SecurityEvent.account_id == account_id, kind,
                                                       SecurityEvent.created_at >= since)
                           .order_by(SecurityEvent.id).limit(limit)).scalars())


def kinds_since(tx: Tx, account_id: str, kinds: Collection[str],
                since: datetime) -> Sequence[Row[str, datetime, dict[str, Any]]]:
    """(kind, created_at, data) of the account's events of these kinds from `since`, oldest first."""
    return tx.execute(select(SecurityEvent.kind, SecurityEvent.created_at, SecurityEvent.data)
                      .where(SecurityEvent.account_id == account_id, SecurityEvent.kind.in_(kinds),
                             SecurityEvent.created_at >= since)
                      .order_by(SecurityEvent.id)).all()


def latest_of_kinds(tx: Tx, account_id: str, kinds: Collection[str], since: datetime,
                    until: datetime) -> datetime | None:
    """When the account's latest event of these kinds between `since` and `until` happened, if any did."""
    return tx.execute(select(func.max(SecurityEvent.created_at)).where(
        SecurityEvent.account_id == account_id, SecurityEvent.kind.in_(kinds),
        SecurityEvent.created_at >= since, SecurityEvent.created_at <= until)).scalar_one()
