"""Checking the audit chain: every sealed event in place, unchanged, and signed with Bastion's key.

The walk follows `chain_seq` up to the head read at the start (events sealed meanwhile are left
for the next check) in batches, so it runs beside a serving system in constant memory.
Findings name the event and say what happened to it:

- changed:   its content no longer matches its hash;
- forged:    its hash matches but the MAC does not (the chain was recomputed without the key);
- removed:   positions are missing (between two events, or at the end, before the head);
- reordered: it does not follow the event it was sealed after;
- head:      the head row does not match the chain or its MAC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session as Tx

from bastion.audit import repo
from bastion.audit.chain import EVENT_MAC, GENESIS, HEAD_MAC, event_hash, head_message
from bastion.audit.models import SecurityEvent
from bastion.clock import rfc3339
from bastion.services import Services


@dataclass(frozen=True)
class Finding:
    kind: str
    event_id: int | None
    seq: int | None
    detail: str


@dataclass
class ChainReport:
    checked: int = 0
    unsealed: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings


def _describe(event: SecurityEvent) -> str:
    return f"event {event.id} ({event.kind} at {rfc3339(event.created_at)})"


def verify_chain(services: Services, batch: int = 2000) -> ChainReport:
    keys = services.keys
    report = ChainReport()
    with services.db.transaction() as tx:
        head = repo.chain_head(tx)
        report.head_seq, report.head_hash = head.seq, head.hash
        report.unsealed = repo.count_unsealed(tx)
        if head.seq and (head.mac is None or not keys.verify_mac(HEAD_MAC, head_message(head.seq, head.hash),
                                                                 head.mac)):
            report.findings.append(Finding("head", None, head.seq, "the chain head's MAC does not match: "
                                           "the head row was edited"))
    previous_hash, previous, expected = GENESIS, "the start of the chain", 1
    while True:
        with services.db.transaction() as tx:
            events = repo.events_at_positions(tx, expected, report.head_seq, batch)
            for event in events:
                _check(services, tx, event, previous_hash, previous, expected, report)
                # Selected by position, so each has one.
                previous_hash, previous = event.chain_hash or "", f"event {event.id}"
                expected = (event.chain_seq if event.chain_seq is not None else expected) + 1
                report.checked += 1
        if len(events) < batch:
            break
    if expected <= report.head_seq:
        report.findings.append(Finding(
            "removed", None, expected,
            f"positions {expected}–{report.head_seq} are missing: events removed after {previous}, at the end"))
    elif previous_hash != report.head_hash and report.head_seq:
        report.findings.append(Finding("head", None, report.head_seq,
                                       f"the chain head does not match {previous}"))
    _check_beyond_head(services, report)
    return report


def _check(services: Services, tx: Tx, event: SecurityEvent, previous_hash: str, previous: str,
           expected: int, report: ChainReport) -> None:
    seq = event.chain_seq
    gap = seq is not None and seq > expected
    if seq is not None and gap:
        report.findings.append(Finding(
            "removed", event.id, seq,
            f"positions {expected}–{seq - 1} are missing: events removed between {previous} and {_describe(event)}"))
    intact = event.chain_prev is not None and event_hash(event.chain_prev, event) == event.chain_hash
    if not intact:
        report.findings.append(Finding("changed", event.id, seq,
                                       f"{_describe(event)} was changed after it was sealed"))
    elif not (event.chain_mac and services.keys.verify_mac(EVENT_MAC, event.chain_hash or "", event.chain_mac)):
        report.findings.append(Finding("forged", event.id, seq,
                                       f"{_describe(event)} carries a seal not made with Bastion's key"))
    if not gap and event.chain_prev != previous_hash:
        sealed_after = repo.event_with_hash(tx, event.chain_prev)
        after = f"event {sealed_after}" if sealed_after is not None else "an event no longer in the log"
        report.findings.append(Finding(
            "reordered", event.id, seq,
            f"{_describe(event)} is out of order: it was sealed after {after} but now follows {previous}"))


def _check_beyond_head(services: Services, report: ChainReport) -> None:
    """Positions past the head were never given by the sealer: someone wrote them by hand."""
    with services.db.transaction() as tx:
        head_now = repo.chain_head(tx).seq  # sealing may have gone on meanwhile
        strays = repo.positions_beyond(tx, head_now, 20)
    for stray in strays:
        report.findings.append(Finding("reordered", stray.id, stray.chain_seq,
                                       f"event {stray.id} claims position {stray.chain_seq}, past the chain's head"))
