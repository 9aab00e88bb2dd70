"""Suspensions and temporary bans (requirements §30): find an account, restrict it with a reason and
an end, or lift the restriction; clear an IP allowlist whose networks the owner lost (requirements §29);
send a staff account without a second factor a new enrolment link. Every action is audited with the
admin's id."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.staff import existing_account_id
from bastion.accounts.status import reinstate_account, restrict_account
from bastion.context import Client
from bastion.errors import BastionError
from bastion.i18n import N_
from bastion.mfa.flows.staff_enrolment import resend_enrolment_link
from bastion.recovery.allowlist_reset import clear_allowlist_by_staff
from bastion.services import Services
from bastion.sessions.tokens import SessionInfo
from bastion.support.views import account_view, search_accounts
from bastion.web.api.admin import ReasonIn, RestrictIn
from bastion.web.client import client_from
from bastion.web.inputs import SearchText, valid_id
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import ADMIN, AdminSession, act, notice_for
from bastion.web.pages.staff import look_up, staff_page, typed_time

router = APIRouter(prefix="/admin/accounts")
PAGE = "/admin/accounts"
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"suspended": N_("The account is suspended and every session has ended."),
           "banned": N_("The account is banned until the time shown, and every session has ended."),
           "reinstated": N_("The restriction is lifted."),
           "allowlist-cleared": N_("The IP allowlist is cleared: sign-in is allowed from any network. We emailed the "
                                   "owner, and withdrawals are held."),
           "enrolment-link-sent": N_("We emailed the account a new staff enrolment link; older ones no longer work.")}


@router.get("")
def find(request: Request, session: AdminSession, q: str = "") -> Response:
    query = q.strip()
    found, error = look_up(query, SearchText, "q", partial(search_accounts, request.app.state.services))
    return staff_page(request, session, "admin/accounts.html", PAGE, error, query=query, found=found,
                      base="/admin/accounts")


def account_page(request: Request, session: SessionInfo, account_id: str, error: BastionError | None = None,
                 notice: str | None = None, typed: dict[str, str] | None = None) -> Response:
    try:
        account = account_view(request.app.state.services, valid_id(account_id, "account_id"))
    except BastionError as missing:
        return staff_page(request, session, "problem.html", PAGE, missing)
    return staff_page(request, session, "admin/account.html", PAGE, error, notice, account=account,
                      typed=typed or {})


@router.get("/{account_id}")
def show(request: Request, session: AdminSession, account_id: str, done: str = "") -> Response:
    return account_page(request, session, account_id, notice=notice_for(done, NOTICES))


@router.post("/{account_id}/restrict")
def restrict(request: Request, account_id: str, kind: FormText = "", reason: FormText = "", until: FormText = "",
             csrf_token: CsrfField = "") -> Response:
    def restrict_it(session: SessionInfo) -> Response:
        body = parse_form(RestrictIn, reason=reason, until=typed_time(until, N_("end")))
        services = request.app.state.services
        restrict_account(services, existing_account_id(services, account_id), kind, body.reason, body.until,
                         session.account_id, client_from(request))
        return see_other(f"{PAGE}/{account_id}?done={kind}")

    typed = {"kind": kind, "reason": reason, "until": until}
    return act(request, csrf_token, PAGE, restrict_it,
               lambda session, error: account_page(request, session, account_id, error, typed=typed), ADMIN)


@router.post("/{account_id}/reinstate")
def reinstate(request: Request, account_id: str, reason: FormText = "", csrf_token: CsrfField = "") -> Response:
    return _with_reason(request, account_id, reason, csrf_token, "reinstated",
                        lambda services, target, actor, why, client: reinstate_account(services, target, actor,
                                                                                       client, why))


@router.post("/{account_id}/clear-allowlist")
def clear_allowlist(request: Request, account_id: str, reason: FormText = "", csrf_token: CsrfField = "") -> Response:
    return _with_reason(request, account_id, reason, csrf_token, "allowlist-cleared",
                        lambda services, target, actor, why, client: clear_allowlist_by_staff(
                            services, target, actor, why, client, via="admin_console"))


@router.post("/{account_id}/staff-enrolment-link")
def send_enrolment_link(request: Request, account_id: str, csrf_token: CsrfField = "") -> Response:
    def send(session: SessionInfo) -> Response:
        services = request.app.state.services
        resend_enrolment_link(services, existing_account_id(services, account_id), client_from(request),
                              actor_id=session.account_id)
        return see_other(f"{PAGE}/{account_id}?done=enrolment-link-sent")

    return act(request, csrf_token, PAGE, send,
               lambda session, error: account_page(request, session, account_id, error), ADMIN)


def _with_reason(request: Request, account_id: str, reason: str, csrf_token: str, done: str,
                 perform: Callable[[Services, str, str, str, Client], object]) -> Response:
    """An admin action on an account that needs only a reason: done, then back to the account with its notice."""
    def perform_it(session: SessionInfo) -> Response:
        body = parse_form(ReasonIn, reason=reason)
        services = request.app.state.services
        perform(services, existing_account_id(services, account_id), session.account_id, body.reason,
                client_from(request))
        return see_other(f"{PAGE}/{account_id}?done={done}")

    return act(request, csrf_token, PAGE, perform_it,
               lambda session, error: account_page(request, session, account_id, error), ADMIN)
