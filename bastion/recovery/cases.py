"""Recovery cases, the account holder's side: start, upload evidence, follow, cancel (requirements §16-17, §28-29).

A case (a 2FA reset, lifting a freeze, or clearing an IP allowlist whose networks are all lost)
starts with the password. The answer is the same 202 with a case id whether the account exists,
the password is right or a case is already open (requirements §17); only the account's mailbox
learns more: it gets the link that uploads evidence and shows the case, and at every step a
link that cancels the case and freezes the account. A wrong password counts against the email
like a failed sign-in, so this door is no way around the lockout (`bastion.guard.passwords`).

States: awaiting_documents → in_review → waiting (approved; `due_at`) → completed,
or rejected / cancelled / expired. Support decides (bastion.support.decisions); the
scheduler completes (bastion.recovery.completion).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Tx

from bastion.accounts.onetime import consume_token, issue_token
from bastion.accounts.repo import get_account, normalize_email
from bastion.accounts.status import freeze_in
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client, host_of
from bastion.crypto import hash_token, new_token
from bastion.errors import BastionError, Reason
from bastion.guard.passwords import check_password
from bastion.guard.tokens import guarded_token
from bastion.i18n import N_, _
from bastion.mfa.registry import METHODS
from bastion.notify.outbox import enqueue
from bastion.recovery.evidence import DOCUMENT_KINDS, check_evidence, seal
from bastion.recovery.evidence_formats import WorkBudget
from bastion.recovery.kinds import KINDS, hold_hours, wait_hours
from bastion.recovery.models import CaseDocument, RecoveryCase
from bastion.recovery.owner import CaseOwner
from bastion.services import Services
from bastion.store.changes import rows_changed
from bastion.store.types import new_id

OPEN_STATES = ("awaiting_documents", "in_review", "waiting")
CANCEL_PURPOSE = "case_cancel"
CANCEL_LINK_VALID = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class CaseStatus:
    """What the holder sees of a case: never who decided it, never the documents themselves."""

    id: str
    kind: str
    status: str
    created_at: datetime
    documents: list[str]
    missing: list[str]
    due_at: datetime | None = None
    decision_reason: str | None = None
    steps: list[str] = field(default_factory=list)


def request_case(services: Services, kind: str, email: str, password: str, client: Client) -> str:
    """Open a case (or re-send the open one's link). Returns a case id, a decoy when nothing was opened.

    The password is checked by the guard against the sign-in's budgets (a wrong one is a failure on
    the email, as at sign-in); only requests whose password matched spend the email's daily case
    budget, so wrong guesses by someone else never block the owner's own request.
    """
    decoy = new_id()
    identifier = normalize_email(email)
    now = services.clock.now()
    services.throttle.spend(now, ("case_ip", client.ip or "unknown"))
    checked = check_password(services, identifier, password, client)
    if not checked.matched or checked.account is None:
        return decoy
    services.throttle.spend(now, ("case_identifier", identifier))
    token = new_token()
    with services.db.transaction() as tx:
        account = get_account(tx, checked.account.id)
        if not _case_applies(tx, kind, account):
            return decoy
        case, opened = _open_or_refresh(tx, kind, account.id, hash_token(token), now, client)
        record_event(tx, now, "case.opened" if opened else "case.link_resent", account.id, client,
                     case_id=case.id, case_kind=kind)
        notify_case(services, tx, case, account, "case_opened", case_link=case_link(services, case.id, token))
        return case.id


def _case_applies(tx: Tx, kind: str, account: CaseOwner) -> bool:
    if kind == "unfreeze":
        return account.status == "frozen"
    if kind == "allowlist_reset":
        return bool(account.ip_allowlist)
    return METHODS.has_second_factor(tx, account.id)


def _open_or_refresh(tx: Tx, kind: str, account_id: str, access_hash: str, now: datetime,
                     client: Client) -> tuple[RecoveryCase, bool]:
    """One open case per kind and account (a unique index decides races); a new link replaces the old."""
    existing = _open_case(tx, account_id, kind)
    if existing is None:
        case = RecoveryCase(account_id=account_id, kind=kind, status="awaiting_documents", access_hash=access_hash,
                            created_at=now, ip=client.ip)
        try:
            with tx.begin_nested():
                tx.add(case)
            return case, True
        except IntegrityError:
            existing = _open_case(tx, account_id, kind)
            if existing is None:
                raise
    existing.access_hash = access_hash  # only the newest emailed link works
    return existing, False


def open_case_id(tx: Tx, account_id: str, kind: str) -> str | None:
    case = _open_case(tx, account_id, kind)
    return case.id if case is not None else None


def _open_case(tx: Tx, account_id: str, kind: str) -> RecoveryCase | None:
    return tx.execute(select(RecoveryCase).where(
        RecoveryCase.account_id == account_id, RecoveryCase.kind == kind, RecoveryCase.closed_at.is_(None))
    ).scalar_one_or_none()


def case_link(services: Services, case_id: str, token: str) -> str:
    return f"{services.settings.public_url}/recovery/case?case={case_id}&token={token}"


def cancel_link(services: Services, tx: Tx, account_id: str) -> str:
    token = issue_token(tx, services.clock.now(), account_id, CANCEL_PURPOSE, CANCEL_LINK_VALID, newest_only=False)
    return f"{services.settings.public_url}/recovery/cancel?token={token}"


class CaseRef(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...


def notify_case(services: Services, tx: Tx, case: CaseRef, account: CaseOwner, template: str,
                **context: object) -> None:
    """Every case email names the step and carries its own cancel link."""
    now = services.clock.now()
    enqueue(services, tx, template, account, dedup_key=f"{template}/{case.id}/{new_id()}", now=now,
            what=KINDS[case.kind], kind=case.kind, when=rfc3339(now), case_id=case.id,
            wait_hours=wait_hours(services.settings, case.kind), hold_hours=hold_hours(services.settings, case.kind),
            cancel_link=cancel_link(services, tx, account.id), **context)


def _case_for_access(tx: Tx, case_id: str, access_token: str, locked: bool = False) -> RecoveryCase:
    query = select(RecoveryCase).where(RecoveryCase.access_hash == hash_token(access_token))
    case = tx.execute(query.with_for_update() if locked else query).scalar_one_or_none()
    if case is None or not hmac.compare_digest(case.id.encode(), case_id.encode()):
        raise BastionError(Reason.TOKEN_INVALID,
                           detail=_("This case link is not valid; use the newest email about it."))
    return case


def spend_upload_attempt(services: Services, client: Client) -> None:
    """Every upload attempt spends its address's upload budget before any of its body is read: a
    form refused for its own fields (64 KiB of tiny parts cost the parser 11 ms) never reached
    `admit_upload`, and cost its sender nothing. An IPv6 host's budget is its /64's (`host_of`)."""
    services.throttle.spend(services.clock.now(), ("upload_ip", host_of(client.ip or "unknown")))


def admit_upload(services: Services, case_id: str, access_token: str, client: Client,
                 kind: str | None = None) -> None:
    """Whether an upload may be read at all — before a byte of its file is (issue 18): the case
    link, the case's state and the case's upload budget, cheapest first (its address's budget was
    spent before its body was read: `spend_upload_attempt`)."""
    now = services.clock.now()
    if kind is not None:
        check_document_kind(kind)
    with guarded_token(services, client), services.db.transaction() as tx:
        case = _case_open_for_documents(tx, case_id, access_token)
        case_id = case.id
    services.throttle.spend(now, ("upload_case", case_id))


def check_document_kind(kind: str) -> None:
    if kind not in DOCUMENT_KINDS:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("`kind` must be one of: %(kinds)s.") % {"kinds": ", ".join(DOCUMENT_KINDS)})


def add_document(services: Services, case_id: str, access_token: str, kind: str, content: bytes,
                 client: Client, budget: WorkBudget | None = None) -> CaseStatus:
    """Store one piece of evidence (replacing an earlier one of that kind); all three → in review.

    The web layer calls `admit_upload` before it reads the file; the link and the case's state are
    checked again here, before the file's check and in the transaction that stores it. The files
    of one request share one `budget` of CPU for their checks."""
    check_document_kind(kind)
    with guarded_token(services, client), services.db.transaction() as tx:
        _case_open_for_documents(tx, case_id, access_token)
    evidence = check_evidence(content, budget)
    now = services.clock.now()
    with services.db.transaction() as tx:
        # Locked: two uploads of one kind at once each found no earlier file and both inserted one
        # (a unique violation, a 500 on PostgreSQL); and only one of them may move the case on.
        case = _case_open_for_documents(tx, case_id, access_token, locked=True)
        replaced = 0
        for old in tx.execute(select(CaseDocument).where(CaseDocument.case_id == case.id,
                                                         CaseDocument.kind == kind)).scalars():
            tx.delete(old)
            replaced += 1
        tx.flush()
        if replaced and case.status == "in_review":
            _restart_review(tx, case, kind, client, now)
        tx.add(CaseDocument(case_id=case.id, kind=kind, content_type=evidence.content_type, size=evidence.size,
                            sha256=evidence.sha256, data=seal(services.keys, case.id, kind, content), created_at=now))
        tx.flush()
        record_event(tx, now, "case.document_added", case.account_id, client, case_id=case.id, document=kind,
                     content_type=evidence.content_type, size=evidence.size)
        if case.status == "awaiting_documents" and not _missing(tx, case.id):
            case.status, case.submitted_at = "in_review", now
            record_event(tx, now, "case.submitted", case.account_id, client, case_id=case.id)
            notify_case(services, tx, case, get_account(tx, case.account_id), "case_submitted")
        return _status_of(tx, case)


def _restart_review(tx: Tx, case: RecoveryCase, kind: str, client: Client, now: datetime) -> None:
    """A document replaced under review: the claim goes (the agent judged other files), and approvals
    given for the documents as they were no longer count (each records the digest it approved). The
    case's timeline says so. Updating the case's row serialises this with an approval in progress."""
    tx.execute(update(RecoveryCase).where(RecoveryCase.id == case.id).values(claimed_by=None, claimed_at=None))
    record_event(tx, now, "case.review_restarted", case.account_id, client, case_id=case.id, document=kind)


def documents_digest(tx: Tx, case_id: str) -> str:
    """One digest of the case's documents as they stand (each kind and its file's SHA-256)."""
    rows = tx.execute(select(CaseDocument.kind, CaseDocument.sha256).where(CaseDocument.case_id == case_id)).all()
    return hashlib.sha256("\n".join(sorted(f"{kind}:{sha}" for kind, sha in rows)).encode()).hexdigest()


def _case_open_for_documents(tx: Tx, case_id: str, access_token: str, locked: bool = False) -> RecoveryCase:
    case = _case_for_access(tx, case_id, access_token, locked)
    if case.closed_at is not None:
        raise BastionError(Reason.CASE_CLOSED)
    if case.status not in ("awaiting_documents", "in_review"):
        raise BastionError(Reason.CASE_NOT_READY,
                           detail=_("The case was approved; its documents can no longer change."))
    return case


def case_status(services: Services, case_id: str, access_token: str, client: Client) -> CaseStatus:
    with guarded_token(services, client), services.db.transaction() as tx:
        return _status_of(tx, _case_for_access(tx, case_id, access_token))


def _missing(tx: Tx, case_id: str) -> list[str]:
    present = set(tx.execute(select(CaseDocument.kind).where(CaseDocument.case_id == case_id)).scalars())
    return [kind for kind in DOCUMENT_KINDS if kind not in present]


_NEXT_STEPS = {
    "awaiting_documents": [N_("Upload the missing documents below."),
                           N_("Support reviews the case once all three are in, usually within two working days.")],
    "in_review": [N_("Support is reviewing your documents; we will email you the decision.")],
    "waiting": [N_("Your request was approved. For your safety it takes effect when the waiting period ends."),
                N_("Didn't ask for this? Use the cancel link in our email: it stops the request and freezes the "
                   "account.")],
    "completed": [N_("Done. Sign in with your password.")],
    "rejected": [N_("Read the reason below. You can start a new request with better documents.")],
    "cancelled": [N_("The request was cancelled and the account frozen. Contact support if that was not you.")],
    "expired": [N_("The request closed because the documents did not arrive in time. Start a new one.")],
}


def _status_of(tx: Tx, case: RecoveryCase) -> CaseStatus:
    missing = _missing(tx, case.id) if case.closed_at is None else []
    return CaseStatus(
        id=case.id, kind=case.kind, status=case.status, created_at=case.created_at,
        documents=[kind for kind in DOCUMENT_KINDS if kind not in missing] if case.purged_at is None else [],
        missing=missing, due_at=case.due_at,
        decision_reason=case.decision_reason if case.status == "rejected" else None,
        steps=[_(step) for step in _NEXT_STEPS[case.status]],
    )


def cancel_with_link(services: Services, token: str, client: Client) -> int:
    """The owner's "this wasn't me": every open case ends and the account is frozen. Returns cases cancelled."""
    now = services.clock.now()
    with guarded_token(services, client), services.db.transaction() as tx:
        account = get_account(tx, consume_token(tx, now, CANCEL_PURPOSE, token))
        cancelled = list(tx.execute(
            update(RecoveryCase)
            .where(RecoveryCase.account_id == account.id, RecoveryCase.closed_at.is_(None))
            .values(status="cancelled", closed_at=now)
            .returning(RecoveryCase.id, RecoveryCase.kind)
        ))
        for case_id, kind in cancelled:
            record_event(tx, now, "case.cancelled", account.id, client, case_id=case_id, case_kind=kind, via="email_link")
        if account.status != "frozen":
            freeze_in(services, tx, account, client, via="case_cancel_link")
        return len(cancelled)


def close_case(tx: Tx, case_id: str, now: datetime, status: str, from_states: tuple[str, ...],
               **values: object) -> bool:
    """Move a case to a closed state once: the conditional UPDATE decides between racing callers."""
    return rows_changed(tx,
        update(RecoveryCase)
        .where(RecoveryCase.id == case_id, RecoveryCase.status.in_(from_states), RecoveryCase.closed_at.is_(None))
        .values(status=status, closed_at=now, **values)
    ) == 1


def replace_case_link(services: Services, case_id: str) -> str:
    """A new token for the case's link (the emailed one is kept only as a hash): the demo's sample case."""
    token = new_token()
    with services.db.transaction() as tx:
        tx.execute(update(RecoveryCase).where(RecoveryCase.id == case_id).values(access_hash=hash_token(token)))
    return token
