"""What the support and admin consoles share: their navigation, refusals told to the agent, where
staff land after signing in, and times typed into their forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import Request
from starlette.responses import Response

from bastion.accounts.staff import staff_roles_in_effect
from bastion.clock import client_moment
from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.sessions.tokens import SessionInfo
from bastion.support import words
from bastion.support.words import AGENT_REFUSALS
from bastion.web.inputs import checked
from bastion.web.pages.display import reason_words
from bastion.web.pages.signed_in import ADMIN_PAGES, SUPPORT_PAGES, account_page, nav_pages

T = TypeVar("T")
AREAS = {"admin": (ADMIN_PAGES, N_("Admin console")), "support": (SUPPORT_PAGES, N_("Support console"))}


def staff_page(request: Request, session: SessionInfo, name: str, section: str, error: BastionError | None = None,
               notice: str | None = None, **context: Any) -> Response:
    """A console page; `section` is its entry in the console's navigation. A refusal on it is told to
    the agent (staff/_problem.html), not as the account holder's page would tell it."""
    pages, label = AREAS[section.split("/")[1]]
    return account_page(request, session, name, error, notice, area_pages=nav_pages(pages), area_label=_(label),
                        section=section,
                        agent_problem=agent_refusal(error), words=words, reason_words=reason_words,
                        me=session.account_id, **context)


def look_up(typed: str, kind: Any, field: str, find: Callable[[Any], T]) -> tuple[T | None, BastionError | None]:
    """What staff typed into a console's search, checked as the API checks it, then looked up: what was
    found, or the refusal to show with the form (nothing when nothing was typed)."""
    if not typed:
        return None, None
    try:
        return find(checked(kind, typed, field)), None
    except BastionError as refused:
        return None, refused


def agent_refusal(error: BastionError | None) -> dict[str, Any] | None:
    if error is None:
        return None
    title, steps = AGENT_REFUSALS.get(error.code, (error.reason.title, ()))
    return {"title": _(title), "detail": error.detail or _(error.reason.message), "steps": [_(step) for step in steps]}


def staff_missing(request: Request, session: SessionInfo, section: str, error: BastionError) -> Response:
    """A console page for something that is not there (or a refusal before anything could be shown)."""
    return staff_page(request, session, "staff/problem.html", section, error)


def console_home(roles: frozenset[str], aal: int) -> str:
    """Where a sign-in lands: staff signed in with a second factor go straight to their console;
    everyone else (staff without one included: they set it up first) to their security page."""
    acting = staff_roles_in_effect(roles, aal)
    if "support" in acting:
        return "/support"
    return "/admin" if "admin" in acting else "/"


def typed_time(value: str, label: str) -> datetime | None:
    """A `datetime-local` field, read as UTC (its label says so; shown times name their zone); empty is None."""
    value = value.strip()
    if not value:
        return None
    try:
        return client_moment(datetime.fromisoformat(value))
    except ValueError:
        raise BastionError(Reason.REQUEST_INVALID,
                           detail=_("The %(field)s is not a date and time.") % {"field": _(label)}) from None


def time_field(moment: datetime | None) -> str:
    """A time as a `datetime-local` value, in UTC."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
