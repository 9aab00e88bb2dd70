"""Working a case: claiming and releasing it, internal notes, and the facts the rules judge by.

A claim says "I am working on this case": one agent at a time, taken by a conditional UPDATE
(`claimed_by IS NULL`), so of two agents claiming at once exactly one wins. Deciding a case takes
its claim in the same statement (bastion.support.decisions), and an approval releases it, so the
next approval is another agent's. Notes are internal: staff read them in the console and the
support API; the account holder's views, emails and the case page never carry them.
Every step is audited with the agent's id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session as Tx

from bastion.accounts import repo as accounts
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.recovery import repo as cases
from bastion.recovery.cases import documents_digest
from bastion.recovery.evidence import DOCUMENT_KINDS
from bastion.services import Services
from bastion.support import repo
from bastion.support.queue import QueuedCase
from bastion.support.rules import CaseFacts, NotNow, ensure_allowed, why_not
from bastion.support.words import CASE_STATES, DOCUMENTS, WHY_NOT, fill, when_words

NOTE_MAX = 2000


class Case(QueuedCase, Protocol):
    """A recovery case as the console reads it (a row of `bastion.recovery`, read through its repo):
    what the queue lists of it, and where it came from and how it was decided."""

    @property
    def ip(self) -> str | None: ...

    @property
    def decided_at(self) -> datetime | None: ...

    @property
    def decided_by(self) -> str | None: ...

    @property
    def decision_reason(self) -> str | None: ...

    @property
    def purged_at(self) -> datetime | None: ...


def load_case(tx: Tx, case_id: str) -> Case:
    case = cases.find_case(tx, case_id) if len(case_id) <= 64 else None
    if case is None:
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No case with this id."))
    return case


def case_facts(tx: Tx, case: Case, agent_id: str, admin: bool = False) -> CaseFacts:
    approved_by = frozenset(agent for agent, _reason, _at in approvals_of(tx, case.id))
    present = cases.document_kinds(tx, case.id)
    return CaseFacts(status=case.status, closed=case.closed_at is not None, agent_id=agent_id,
                     agent_is_admin=admin, account_id=case.account_id, claimed_by=case.claimed_by,
                     approved_by=approved_by, missing=tuple(kind for kind in DOCUMENT_KINDS if kind not in present))


def emails_of(tx: Tx, ids: Iterable[str | None]) -> dict[str, str]:
    """Account ids → email addresses (how agents are named in the console)."""
    wanted = {one for one in ids if one}
    if not wanted:
        return {}
    return accounts.emails_of(tx, wanted)


def explain(tx: Tx, blocked: NotNow, case: Case) -> str:
    """The agent-facing sentence for a reason an action is not available."""
    fields = dict(blocked.fields)
    if "agent" in fields:
        fields["agent"] = emails_of(tx, [fields["agent"]]).get(fields["agent"], _("Another agent"))
    if "missing" in fields:
        fields["missing"] = ", ".join(DOCUMENTS.get(kind, kind) for kind in fields["missing"]) or _("nothing")
    fields["state"] = CASE_STATES.get(case.status, case.status).lower()
    fields["due"] = (_("on %(date)s") % {"date": when_words(case.due_at)} if case.due_at
                     else _("when its waiting period ends"))
    return fill(WHY_NOT[blocked.why], **fields)


def check(tx: Tx, action: str, case: Case, agent_id: str, admin: bool = False) -> CaseFacts:
    """The facts, after refusing `action` with the agent's words when the rules say not now."""
    facts = case_facts(tx, case, agent_id, admin)
    blocked = why_not(action, facts)
    if blocked is not None:
        ensure_allowed(action, facts, detail=explain(tx, blocked, case))
    return facts


def claim_case(services: Services, case_id: str, agent_id: str, client: Client) -> None:
    """Take the case; claiming one's own claim again is a no-op."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        case = load_case(tx, case_id)
        if case.claimed_by == agent_id and case.closed_at is None:
            return
        check(tx, "claim", case, agent_id)
        if not cases.claim_case(tx, case.id, agent_id, now):
            tx.refresh(case)
            check(tx, "claim", case, agent_id)
            raise BastionError(Reason.CASE_CLAIMED, detail=_("Another agent claimed it a moment ago."))
        record_event(tx, now, "case.claimed", case.account_id, client, actor_id=agent_id, case_id=case.id,
                     case_kind=case.kind)


def release_case(services: Services, case_id: str, agent_id: str, client: Client, admin: bool = False) -> None:
    """Give the case back to the queue: the holder, or an admin for anyone's claim."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        case = load_case(tx, case_id)
        check(tx, "release", case, agent_id, admin)
        holder = case.claimed_by
        if not cases.release_case(tx, case.id, holder):
            raise BastionError(Reason.CASE_CLAIMED, detail=_("The claim changed a moment ago; reload the case."))
        record_event(tx, now, "case.released", case.account_id, client, actor_id=agent_id, case_id=case.id,
                     case_kind=case.kind, **({"holder": holder} if holder != agent_id else {}))


def add_note(services: Services, case_id: str, agent_id: str, text: str, client: Client) -> int:
    """An internal note; the audit event records that it was written, not what it says."""
    body = text.strip()
    if not 1 <= len(body) <= NOTE_MAX:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("A note is 1 to %(count)d characters.") % {"count": NOTE_MAX})
    now = services.clock.now()
    with services.db.transaction() as tx:
        case = load_case(tx, case_id)
        check(tx, "note", case, agent_id)
        note_id = repo.add_note(tx, case.id, agent_id, body, now)
        record_event(tx, now, "case.note_added", case.account_id, client, actor_id=agent_id,
                     case_id=case.id, note_id=note_id)
        return note_id


def case_notes(tx: Tx, case_id: str) -> list[dict[str, object]]:
    notes = repo.notes_on(tx, case_id)
    authors = emails_of(tx, (note.author_id for note in notes))
    return [{"id": note.id, "author_id": note.author_id, "author": authors.get(note.author_id), "text": note.body,
             "at": rfc3339(note.created_at)} for note in notes]


def approvals_of(tx: Tx, case_id: str) -> list[tuple[str, str, datetime]]:
    """The approvals that count: those given for the case's documents as they stand (a document
    replaced since leaves earlier approvals behind, on the record but not counted)."""
    return [(approval.agent_id, approval.reason, approval.created_at)
            for approval in repo.approvals_given(tx, case_id, documents_digest(tx, case_id))]
