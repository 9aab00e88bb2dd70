"""Sealing security events into a hash chain, in order, under one lock.

Each sealed event carries its position (`chain_seq`), the hash of the event before it
(`chain_prev`), its own hash over that and its content (`chain_hash`), and a MAC of its hash
under the key ring (`chain_mac`). Changing an event breaks its hash; removing or moving one
breaks the links; recomputing the hashes after an edit needs the key for the MACs. The head row
names the last sealed event, so removing events at the end shows as well.

Events are written unsealed by `record_event` in their cause's transaction; `seal_pending`
links them afterwards (the background worker calls it every pass, `bastion audit verify`
before it checks). Sealers serialise on the head row (`SELECT … FOR UPDATE`; SQLite's writer
lock does the same), so concurrent writers and several nodes never fork the chain, and
`chain_seq` is unique in the schema besides.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from sqlalchemy import Row, bindparam, select, update

from bastion.audit.models import AuditChainHead, SecurityEvent
from bastion.crypto import KeyRing
from bastion.services import Services

GENESIS = "0" * 64
HEAD_ID = 1
EVENT_MAC = "audit.event"
HEAD_MAC = "audit.head"


def canonical_content(event: SecurityEvent | Row[Any]) -> str:
    """Everything an event says, as one canonical JSON text (what its hash covers); `event` may
    also be a row of its content columns."""
    return json.dumps(
        {
            "id": event.id,
            "account_id": event.account_id,
            "actor_id": event.actor_id,
            "kind": event.kind,
            "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "ip": event.ip,
            "data": event.data,
        },
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )


def event_hash(previous_hash: str, event: SecurityEvent | Row[*tuple[Any, ...]]) -> str:
    return hashlib.sha256(f"{previous_hash}\n{canonical_content(event)}".encode()).hexdigest()


def head_message(seq: int, chain_hash: str) -> str:
    return f"{seq}:{chain_hash}"


def seal_pending(services: Services, batch: int = 500) -> int:
    """Link every unsealed event into the chain, oldest id first; returns how many were sealed."""
    sealed = 0
    while True:
        count = _seal_batch(services, batch)
        sealed += count
        if count < batch:
            return sealed


# Built once: the sealer runs every pass of the background worker, two events for each sign-in.
_EVENTS = SecurityEvent.__table__
_UNSEALED = (select(_EVENTS.c.id, _EVENTS.c.account_id, _EVENTS.c.actor_id, _EVENTS.c.kind, _EVENTS.c.created_at,
                    _EVENTS.c.ip, _EVENTS.c.data)
             .where(_EVENTS.c.chain_seq.is_(None)).order_by(_EVENTS.c.id).limit(bindparam("batch")))
_SEAL = (update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id"))
         .values(chain_seq=bindparam("seq"), chain_prev=bindparam("prev"), chain_hash=bindparam("digest"),
                 chain_mac=bindparam("mac")))


def _seal_batch(services: Services, batch: int) -> int:
    keys = services.keys
    with services.db.transaction() as tx:
        head = tx.execute(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()).scalar_one()
        seals = []
        for event in tx.execute(_UNSEALED, {"batch": batch}):  # rows with what an event says, nothing more
            seq, digest = head.seq + 1, event_hash(head.hash, event)
            seals.append({"event_id": event.id, "seq": seq, "prev": head.hash, "digest": digest,
                          "mac": keys.mac(EVENT_MAC, digest)})
            head.seq, head.hash = seq, digest
        if seals:
            tx.execute(_SEAL, seals)  # one executemany, not an object flushed per event
            head.mac = keys.mac(HEAD_MAC, head_message(head.seq, head.hash))
            head.sealed_at = services.clock.now()
        return len(seals)


def remac_under_current_key(services: Services, batch: int = 1000) -> int:
    """After a key rotation: re-sign the seals made under an older key (the hashes stay as they are).

    A seal that verifies under no key in the ring is left alone, so a forged one stays visible.
    """
    keys: KeyRing = services.keys
    renewed, after = 0, 0
    while True:
        with services.db.transaction() as tx:
            rows = tx.execute(
                select(SecurityEvent.id, SecurityEvent.chain_hash, SecurityEvent.chain_mac)
                .where(SecurityEvent.chain_seq.is_not(None), SecurityEvent.id > after)
                .order_by(SecurityEvent.id).limit(batch)
            ).all()
            for row in rows:
                macs = keys.macs(EVENT_MAC, row.chain_hash)
                if row.chain_mac != macs[0] and row.chain_mac in macs[1:]:
                    tx.execute(update(SecurityEvent).where(SecurityEvent.id == row.id).values(chain_mac=macs[0]))
                    renewed += 1
            head = tx.get_one(AuditChainHead, HEAD_ID, with_for_update=True)
            message = head_message(head.seq, head.hash)
            if head.mac is not None and keys.verify_mac(HEAD_MAC, message, head.mac):
                head.mac = keys.mac(HEAD_MAC, message)
        if len(rows) < batch:
            return renewed
        after = rows[-1].id
