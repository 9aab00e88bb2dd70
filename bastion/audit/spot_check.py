"""Checking the events a page shows, one by one, against the hash chain (verify.py walks all of it).

For each event: its content still matches its hash, the hash carries Bastion's MAC, and the event
sealed just before it still has the hash this one was linked to (so nothing between them was
removed or moved), and it lies within the chain's head. Costs one look-up for the events'
neighbours and one for the head, whatever the page's length: cheap enough for every timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bastion.audit import repo
from bastion.audit.chain import EVENT_MAC, GENESIS, HEAD_MAC, EventContent, event_hash, head_message
from bastion.services import Services

# verified · pending (not sealed yet) · changed · forged · unlinked
SEAL_STATES = ("verified", "pending", "changed", "forged", "unlinked")


class SealedEvent(EventContent, Protocol):
    """An event with its seal, as the audit log's reads give it (bastion.audit.repo)."""

    @property
    def chain_seq(self) -> int | None: ...

    @property
    def chain_prev(self) -> str | None: ...

    @property
    def chain_hash(self) -> str | None: ...

    @property
    def chain_mac(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class SpotCheck:
    seals: dict[int, str]  # event id → its state
    head_intact: bool

    @property
    def intact(self) -> bool:
        return self.head_intact and all(state in ("verified", "pending") for state in self.seals.values())

    def summary(self) -> dict[str, Any]:
        counts = {state: 0 for state in SEAL_STATES}
        for state in self.seals.values():
            counts[state] += 1
        return {"intact": self.intact, "head_intact": self.head_intact, "checked": len(self.seals), **counts}


def check_events(services: Services, events: Sequence[SealedEvent]) -> SpotCheck:
    keys = services.keys
    before = {event.chain_seq - 1 for event in events if event.chain_seq is not None and event.chain_seq > 1}
    with services.db.transaction() as tx:
        head = repo.chain_head(tx)
        head_seq, head_hash, head_mac = head.seq, head.hash, head.mac
        neighbours = repo.hashes_at(tx, before) if before else {}
    head_intact = head_seq == 0 or bool(head_mac and keys.verify_mac(HEAD_MAC, head_message(head_seq, head_hash),
                                                                     head_mac))
    seals = {}
    for event in events:
        seq = event.chain_seq
        if seq is None:
            seals[event.id] = "pending"
        elif event.chain_prev is None or event_hash(event.chain_prev, event) != event.chain_hash:
            seals[event.id] = "changed"
        elif not (event.chain_mac and keys.verify_mac(EVENT_MAC, event.chain_hash or "", event.chain_mac)):
            seals[event.id] = "forged"
        elif seq > head_seq or event.chain_prev != (GENESIS if seq == 1 else neighbours.get(seq - 1)):
            seals[event.id] = "unlinked"
        else:
            seals[event.id] = "verified"
    return SpotCheck(seals, head_intact)
