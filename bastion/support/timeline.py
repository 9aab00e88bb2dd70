"""An account's and a case's story, read from the hash-chained audit log: who did what, when and from
where, each entry with its seal checked (bastion.audit.spot_check).

Who: the account holder, a staff member (by email), or Bastion itself (its scheduler). What: the
event's sentence (bastion.support.words.EVENTS) with its details in words — never a raw code, and
never a secret (none is recorded). Where: the address and its country.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bastion.accounts.words import place_words
from bastion.audit import repo as audit
from bastion.audit.spot_check import SealedEvent, check_events
from bastion.clock import rfc3339
from bastion.geo import locate
from bastion.i18n import _
from bastion.services import Services
from bastion.support.casework import emails_of, load_case
from bastion.support.words import (
    ACTORS,
    CASE_KINDS,
    DOCUMENTS,
    DOCUMENTS_SHORT,
    EVENTS,
    OPENED,
    SEALS,
    SYSTEM_EVENTS,
    VIA,
    fill,
    when_words,
)

PER_PAGE = 50
SEAL_ORDER = ("verified", "pending", "unlinked", "forged", "changed")  # from best to worst
CASE_EVENTS_MAX = 500


class Event(Protocol):
    """A security event as a timeline tells it (read through bastion.audit.repo; the seal check reads
    the seal too: `SealedEvent`)."""

    @property
    def id(self) -> int: ...

    @property
    def kind(self) -> str: ...

    @property
    def account_id(self) -> str | None: ...

    @property
    def actor_id(self) -> str | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def ip(self) -> str | None: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def chain_seq(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Timeline:
    entries: list[dict[str, Any]]
    chain: dict[str, Any]
    next_before: int | None = None


def account_timeline(services: Services, account_id: str, before: int | None = None,
                     limit: int = PER_PAGE) -> Timeline:
    """The account's events, newest first, a page at a time (`before`: the last id of the page before)."""
    with services.db.transaction() as tx:
        events = audit.events_page(tx, account_id=account_id, before=before, limit=limit)
    timeline = _told(services, events)
    return Timeline(timeline.entries, timeline.chain, events[-1].id if len(events) == limit else None)


def case_timeline(services: Services, case_id: str) -> Timeline:
    """Everything that happened to one case, oldest first."""
    with services.db.transaction() as tx:
        case = load_case(tx, case_id)
        rows = audit.account_events_of_kinds(tx, case.account_id, case.created_at, kinds=("support.viewed",),
                                             kind_prefixes=("case.",), limit=CASE_EVENTS_MAX * 4)
        events = [event for event in rows if (event.data or {}).get("case_id") == case.id][:CASE_EVENTS_MAX]
    return _told(services, events)


def _told(services: Services, events: Sequence[SealedEvent]) -> Timeline:
    checked = check_events(services, events)
    with services.db.transaction() as tx:
        names = emails_of(tx, (event.actor_id for event in events if event.actor_id != event.account_id))
    brand = services.settings.brand_name
    entries = _viewings_together([_entry(event, names, checked.seals[event.id], brand) for event in events])
    return Timeline(entries, checked.summary())


def _viewings_together(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An agent opening a case sees its documents at once: one entry for them, not one per picture.
    The entry keeps the worst seal of those it stands for."""
    told: list[dict[str, Any]] = []
    for entry in entries:
        last = told[-1] if told else None
        if (last is not None and entry["kind"] == last["kind"] == "case.document_viewed"
                and entry["actor"]["id"] == last["actor"]["id"] and entry["case_id"] == last["case_id"]):
            last["documents"].append(entry["documents"][0])
            last["what"] = fill(EVENTS["case.documents_viewed"], documents=", ".join(last["documents"]))
            last["events"].append(entry["id"])
            if SEAL_ORDER.index(entry["seal"]) > SEAL_ORDER.index(last["seal"]):
                last["seal"], last["seal_words"] = entry["seal"], entry["seal_words"]
            continue
        if (last is not None and entry["kind"] == last["kind"] == "support.viewed" and entry["what"] == last["what"]
                and entry["actor"]["id"] == last["actor"]["id"] and entry["case_id"] == last["case_id"]):
            last["events"].append(entry["id"])  # opened again: the first opening tells it
            if SEAL_ORDER.index(entry["seal"]) > SEAL_ORDER.index(last["seal"]):
                last["seal"], last["seal_words"] = entry["seal"], entry["seal_words"]
            continue
        told.append(entry)
    return told


def actor_of(event: Event, names: dict[str, str], brand: str) -> dict[str, Any]:
    """Who did it: a staff member (by email), Bastion itself (named `brand`), or the account holder."""
    if event.actor_id and event.actor_id != event.account_id:
        email = names.get(event.actor_id)
        return {"kind": "staff" if email else "unknown", "id": event.actor_id, "email": email,
                "words": email or ACTORS["unknown"]}
    if event.kind in SYSTEM_EVENTS or event.account_id is None:
        return {"kind": "system", "id": None, "email": None, "words": fill(ACTORS["system"], brand=brand)}
    return {"kind": "owner", "id": event.account_id, "email": None, "words": ACTORS["owner"]}


def event_words(kind: str, data: dict[str, Any]) -> str:
    """The event's sentence, with its details in words."""
    fields = dict(data)
    fields["case_kind"] = CASE_KINDS.get(str(data.get("case_kind", "")), _("Recovery request"))
    fields["document"] = DOCUMENTS.get(str(data.get("document", "")), _("a document"))
    fields["via"] = VIA.get(str(data.get("via", "")), "")
    fields["until"] = _when(data.get("until")) or _("further notice")
    fields["what"] = OPENED.get(str(data.get("what", "")), _("the account"))
    return fill(EVENTS.get(kind, _("Other security event")), **fields)


def _when(value: Any) -> str:
    if not value:
        return ""
    try:
        return when_words(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return ""


def _entry(event: Event, names: dict[str, str], seal: str, brand: str) -> dict[str, Any]:
    location = locate(event.ip)
    return {"id": event.id, "at": rfc3339(event.created_at), "kind": event.kind,
            "what": event_words(event.kind, event.data or {}), "actor": actor_of(event, names, brand),
            "ip": event.ip, "place": place_words(location.country) if event.ip else None,
            "case_id": (event.data or {}).get("case_id"), "chain_position": event.chain_seq,
            "seal": seal, "seal_words": fill(SEALS[seal], brand=brand), "events": [event.id],
            **({"documents": [DOCUMENTS_SHORT.get(str(event.data.get("document")), _("a document"))]}
               if event.kind == "case.document_viewed" else {})}
