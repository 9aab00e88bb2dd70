"""Whose account an agent may handle (requirements §33): support handles the platform's customers; an
account with a staff role is an admin's to handle; nobody handles their own account. One rule, asked
by every support route and page that names an account or a case before anything is read or done, so
a support agent cannot weaken an admin's protections, nor read what colleagues wrote about their own
request.
"""

from __future__ import annotations

from collections.abc import Collection

from bastion.accounts.repo import roles_of
from bastion.audit import record_event
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.recovery.repo import case_account_id
from bastion.services import Services

MAX_ID = 64  # ids are UUIDs; anything longer names nothing


def ensure_may_handle(services: Services, agent_id: str, agent_roles: Collection[str], account_id: str,
                      about_a_case: bool = False) -> str:
    """The account's id when this agent may handle it; else the refusal (not found, own, staff)."""
    with services.db.reading() as tx:
        roles = roles_of(tx, account_id) if len(account_id) <= MAX_ID else None
    if roles is None:
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No account with this id."))
    if account_id == agent_id:
        raise BastionError(Reason.CASE_OWN_ACCOUNT if about_a_case else Reason.SUPPORT_OWN_ACCOUNT)
    if any(role for role in roles.split(",")) and "admin" not in agent_roles:
        raise BastionError(Reason.SUPPORT_STAFF_ACCOUNT)
    return account_id


def ensure_may_handle_case(services: Services, agent_id: str, agent_roles: Collection[str], case_id: str) -> str:
    """The case's id when this agent may handle the account it is about (see `ensure_may_handle`)."""
    with services.db.reading() as tx:
        account_id = case_account_id(tx, case_id) if len(case_id) <= MAX_ID else None
    if account_id is None:
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No case with this id."))
    ensure_may_handle(services, agent_id, agent_roles, account_id, about_a_case=True)
    return case_id


def record_view(services: Services, agent_id: str, account_id: str | None, what: str, client: Client,
                **data: str) -> None:
    """Reading is on the record too: which agent opened which account's facts, case, timeline or search."""
    with services.db.transaction() as tx:
        record_event(tx, services.clock.now(), "support.viewed", account_id, client, actor_id=agent_id, what=what,
                     **data)


def record_case_view(services: Services, agent_id: str, case_id: str, what: str, client: Client) -> None:
    """`record_view` of a case's page or timeline, on the record of the account the case is about."""
    with services.db.transaction() as tx:
        account_id = case_account_id(tx, case_id)
        record_event(tx, services.clock.now(), "support.viewed", account_id, client, actor_id=agent_id, what=what,
                     case_id=case_id)
