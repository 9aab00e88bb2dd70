"""Prepared rejection reasons: written by an admin, chosen by agents, who may edit the text before
sending it to the account holder. A reason may fit only some kinds of case. Withdrawn reasons are
kept (retired), so the audit events that name one keep their meaning. Every change is audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.recovery.kinds import KINDS
from bastion.services import Services
from bastion.support import repo
from bastion.support.models import RejectionReason


def _view(reason: RejectionReason) -> dict[str, Any]:
    return {"id": reason.id, "title": reason.title, "text": reason.body, "kinds": reason.kind_list,
            "retired": reason.retired_at is not None}


def prepared_reasons(services: Services, kind: str | None = None) -> list[dict[str, Any]]:
    """The reasons in use, by title; with `kind`, those that fit that kind of case."""
    with services.db.transaction() as tx:
        return reasons_in(tx, kind)


def reasons_in(tx: Tx, kind: str | None = None) -> list[dict[str, Any]]:
    reasons = repo.reasons_in_use(tx)
    return [_view(reason) for reason in reasons if kind is None or not reason.kind_list or kind in reason.kind_list]


def _kinds(kinds: list[str]) -> str:
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("`kinds` may hold only: %(kinds)s.") % {"kinds": ", ".join(KINDS)})
    return ",".join(kind for kind in KINDS if kind in kinds)


def save_reason(services: Services, admin_id: str, client: Client, title: str, text: str, kinds: list[str],
                reason_id: str | None = None) -> str:
    """Create a reason, or change one in use; returns its id."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        if reason_id is None:
            reason = repo.add_reason(tx, title, text, _kinds(kinds), now)
        else:
            reason = _in_use(tx, reason_id)
            repo.change_reason(reason, title, text, _kinds(kinds), now)
        record_event(tx, now, "rejection_reason.saved", None, client, actor_id=admin_id, reason_id=reason.id,
                     title=title)
        return reason.id


def retire_reason(services: Services, admin_id: str, client: Client, reason_id: str) -> None:
    now = services.clock.now()
    with services.db.transaction() as tx:
        reason = _in_use(tx, reason_id)
        repo.retire_reason(reason, now)
        record_event(tx, now, "rejection_reason.retired", None, client, actor_id=admin_id, reason_id=reason.id,
                     title=reason.title)


def _in_use(tx: Tx, reason_id: str) -> RejectionReason:
    reason = repo.find_reason(tx, reason_id) if len(reason_id) <= 64 else None
    if reason is None or reason.retired_at is not None:
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No prepared reason with this id."))
    return reason


def prepared_text(tx: Tx, reason_id: str, kind: str) -> str:
    """The text of a prepared reason for this kind of case (what is sent when the agent typed none)."""
    reason = _in_use(tx, reason_id)
    if reason.kind_list and kind not in reason.kind_list:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("This prepared reason is not for this kind of case."))
    return reason.body
