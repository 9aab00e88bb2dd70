"""What support agents see (requirements §33-34): accounts, attempts, references, cases, documents.

Plain dictionaries of facts an agent needs — status, factors by type and date, devices,
attempts with reasons, cases — and never a password hash, code, secret, token or encrypted
column. Reading an identity document is itself an audited action.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from bastion.accounts import repo as accounts
from bastion.accounts.devices import list_devices
from bastion.accounts.words import device_and_place
from bastion.audit import record_event
from bastion.clock import rfc3339
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.help.records import attempt_view
from bastion.help.references import explain_reference
from bastion.i18n import _
from bastion.mfa.registry import METHODS
from bastion.recovery import repo as cases
from bastion.recovery.evidence import unseal
from bastion.services import Services
from bastion.sessions.holds import active_restrictions
from bastion.sessions.repo import count_live_sessions
from bastion.signin import attempts as sign_ins
from bastion.support.casework import Case

SEARCH_LIMIT = 20


class AccountSummary(Protocol):
    """An account as a search lists it (a row of `bastion.accounts`, read through its repo)."""

    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def role_set(self) -> frozenset[str]: ...

    @property
    def created_at(self) -> datetime: ...


class AccountFacts(AccountSummary, Protocol):
    """What an agent reads of an account beside its summary: never its password hash, and of its
    anti-phishing code only whether it is set."""

    @property
    def status_reason(self) -> str | None: ...

    @property
    def status_until(self) -> datetime | None: ...

    @property
    def status_changed_at(self) -> datetime | None: ...

    @property
    def email_verified_at(self) -> datetime | None: ...

    @property
    def password_changed_at(self) -> datetime | None: ...

    @property
    def anti_phishing_code(self) -> str | None: ...

    @property
    def ip_allowlist(self) -> list[str]: ...


def _not_found(detail: str) -> BastionError:
    return BastionError(Reason.RESOURCE_NOT_FOUND, detail=detail)


def search_accounts(services: Services, query: str) -> list[dict[str, Any]]:
    """By exact id, or by a part of the email address (newest accounts first)."""
    text = query.strip().lower()
    if not text:
        return []
    with services.db.transaction() as tx:
        return [_summary(account) for account in accounts.accounts_matching(tx, text, SEARCH_LIMIT)]


def _summary(account: AccountSummary) -> dict[str, Any]:
    return {"id": account.id, "email": account.email, "status": account.status,
            "roles": sorted(account.role_set), "created_at": rfc3339(account.created_at)}


def account_view(services: Services, account_id: str) -> dict[str, Any]:
    now = services.clock.now()
    with services.db.transaction() as tx:
        account: AccountFacts | None = accounts.find_account(tx, account_id) if len(account_id) <= 64 else None
        if account is None:
            raise _not_found(_("No account with this id."))
        sessions = count_live_sessions(tx, account.id, now)
        view = {
            **_summary(account),
            "status_reason": account.status_reason,
            "status_until": rfc3339(account.status_until),
            "status_changed_at": rfc3339(account.status_changed_at),
            "email_confirmed_at": rfc3339(account.email_verified_at),
            "password_changed_at": rfc3339(account.password_changed_at),
            "anti_phishing_code_set": account.anti_phishing_code is not None,
            "ip_allowlist": list(account.ip_allowlist),
            # Which exist, never what they are; each with its method's name for people.
            "factors": [{**entry, "label": _(method.label)} for method in METHODS
                        for entry in method.support_view(tx, account.id)],
            "live_sessions": sessions,
            "devices": [{"id": device.id, "device": device_and_place(device.user_agent, device.last_country),
                         "first_seen_at": rfc3339(device.first_seen_at), "last_seen_at": rfc3339(device.last_seen_at),
                         "last_ip": device.last_ip, "trusted_until": rfc3339(device.trusted_until)}
                        for device in list_devices(tx, account.id)],
            "attempts": [attempt_view(attempt)
                         for attempt in sign_ins.account_attempts(tx, account.id, 20, newest_first=True)],
            "cases": [case_summary(case) for case in cases.account_cases(tx, account.id, 20, newest_first=True)],
        }
    view["restrictions"] = [{"kind": hold.kind, "reason": hold.reason, "until": rfc3339(hold.until)}
                            for hold in active_restrictions(services, account_id)]
    return view


def find_reference(services: Services, reference: str) -> dict[str, Any]:
    """A refusal's reference → what the person was told (the troubleshooter's explanation, live) and
    the attempt or request behind it."""
    explained = explain_reference(services, reference, staff=True)
    reason = explained.reason
    return {"reference": explained.reference, "code": reason.code, "title": _(reason.title),
            "message": _(reason.message), "steps": [_(step) for step in reason.steps], "help_url": reason.help_url,
            "occurred_at": rfc3339(explained.occurred_at), "in_effect_until": rfc3339(explained.in_effect_until),
            **(explained.details or {})}


def case_summary(case: Case) -> dict[str, Any]:
    return {"id": case.id, "account_id": case.account_id, "kind": case.kind, "status": case.status,
            "created_at": rfc3339(case.created_at), "submitted_at": rfc3339(case.submitted_at),
            "due_at": rfc3339(case.due_at), "closed_at": rfc3339(case.closed_at),
            "decided_at": rfc3339(case.decided_at), "decision_reason": case.decision_reason}


def read_document(services: Services, case_id: str, document_id: str, agent_id: str,
                  client: Client) -> tuple[str, bytes]:
    """The decrypted file for an agent's eyes; who looked, and when, is recorded."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        document = cases.find_document(tx, document_id) if len(document_id) <= 64 else None
        if document is None or document.case_id != case_id or document.data is None:
            raise _not_found(_("No document with this id."))
        case = cases.find_case(tx, case_id)
        if case is None:  # the document's own case: the foreign key keeps it
            raise _not_found(_("No case with this id."))
        if case.account_id == agent_id:
            raise BastionError(Reason.CASE_OWN_ACCOUNT)
        record_event(tx, now, "case.document_viewed", case.account_id, client, actor_id=agent_id, case_id=case_id,
                     document=document.kind)
        return document.content_type, unseal(services.keys, case_id, document.kind, document.data)
