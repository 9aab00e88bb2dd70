"""Sign-in history: every attempt, newest first, with its device and place in words."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bastion.accounts.devices import describe_agent
from bastion.accounts.words import place_words
from bastion.i18n import N_, _
from bastion.mfa.registry import METHODS
from bastion.numbers import whole_number
from bastion.signin.attempts import list_activity
from bastion.web.pages.display import outcome_words, reason_words
from bastion.web.pages.signed_in import PageSession, account_page

router = APIRouter(prefix="/security")
PER_PAGE = 20
# The steps that are no second-factor method; each method names its own (`history.step`).
STEPS = {"password": N_("Password"), "device": N_("Emailed code")}


def step_words(step: str) -> str:
    """The step an attempt ended at, in the reader's language ("" for one Bastion no longer has)."""
    method = METHODS.get(step)
    label = method.history.step if method is not None else STEPS.get(step)
    return _(label) if label else ""


@router.get("/activity")
def activity(request: Request, session: PageSession, before: str = "") -> Response:
    cursor = whole_number(before)
    page = list_activity(request.app.state.services, session.account_id, cursor, PER_PAGE)
    items = [
        dict(time=item.created_at, outcome=item.outcome, outcome_words=outcome_words(item.outcome),
             reason=reason_words(item.code), reference=item.reference, ip=item.ip or _("unknown"),
             device=describe_agent(item.user_agent), location=place_words(item.country),
             method=step_words(item.method))
        for item in page.items
    ]
    return account_page(request, session, "security/activity.html", activity=items, next_cursor=page.next_cursor,
                        first_page=cursor is None)
