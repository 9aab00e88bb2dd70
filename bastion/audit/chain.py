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
from datetime import UTC, datetime
from typing import Any, Protocol

from bastion.audit import repo
from bastion.crypto import KeyRing
from bastion.services import Services

GENESIS = "0" * 64
EVENT_MAC = "audit.event"
HEAD_MAC = "audit.head"


class EventContent(Protocol):
    """What an event says: a security event, or a row of its content columns."""

    @property
    def id(self) -> int: ...

    @property
    def account_id(self) -> str | None: ...

    @property
    def actor_id(self) -> str | None: ...

    @property
    def kind(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def ip(self) -> str | None: ...

    @property
    def data(self) -> dict[str, Any]: ...


def canonical_content(event: EventContent) -> str:
    """Everything an event says, as one canonical JSON text (what its hash covers)."""
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


def event_hash(previous_hash: str, event: EventContent) -> str:
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


def _seal_batch(services: Services, batch: int) -> int:
    keys = services.keys
    with services.db.transaction() as tx:
        head = repo.lock_chain_head(tx)
        seals = []
        for event in repo.unsealed_events(tx, batch):
            seq, digest = head.seq + 1, event_hash(head.hash, event)
            seals.append({"event_id": event.id, "seq": seq, "prev": head.hash, "digest": digest,
                          "mac": keys.mac(EVENT_MAC, digest)})
            head.seq, head.hash = seq, digest
        if seals:
            repo.seal_events(tx, seals)  # one executemany, not an object flushed per event
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
            rows = repo.seals_after(tx, after, batch)
            for row in rows:
                macs = keys.macs(EVENT_MAC, row.chain_hash)
                if row.chain_mac != macs[0] and row.chain_mac in macs[1:]:
                    repo.renew_seal_mac(tx, row.id, macs[0])
                    renewed += 1
            head = repo.lock_chain_head(tx)
            message = head_message(head.seq, head.hash)
            if head.mac is not None and keys.verify_mac(HEAD_MAC, message, head.mac):
                head.mac = keys.mac(HEAD_MAC, message)
        if len(rows) < batch:
            return renewed
        after = rows[-1].id
