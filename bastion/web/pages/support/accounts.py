"""Accounts as support sees them (status, factors, devices, places, sign-ins, cases, holds), their
timeline from the audit log and their record as JSON for a compliance request, and what support
may do: lift the wrong-password pause, send a reset link, clear an IP allowlist whose networks the
owner lost. And any refusal by its reference."""

from __future__ import annotations

import json
from functools import partial
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.i18n import N_
from bastion.numbers import whole_number
from bastion.recovery.allowlist_reset import clear_allowlist_by_staff
from bastion.recovery.password_reset import send_reset_for_support
from bastion.sessions.tokens import SessionInfo
from bastion.support.access import ensure_may_handle, record_view
from bastion.support.decisions import unlock_account
from bastion.support.export import export_account
from bastion.support.timeline import account_timeline
from bastion.support.views import account_view, find_reference
from bastion.web.api.admin import ReasonIn
from bastion.web.client import client_from
from bastion.web.inputs import RefusalReference
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import SUPPORT, SupportSession, act, notice_for
from bastion.web.pages.staff import look_up, staff_missing, staff_page

router = APIRouter(prefix="/support")
ACCOUNTS = "/support/search"
REFERENCES = "/support/references"
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"unlock": N_("The wrong-password pause on this email is lifted."),
           "reset": N_("A password reset link is on its way to the account's email. Support never sets a password."),
           "clear-allowlist": N_("The IP allowlist is cleared: sign-in is allowed from any network. We emailed the "
                                 "owner, and withdrawals are held.")}
ACTIONS = ("unlock", "reset", "clear-allowlist")


@router.get("/accounts")
def find(request: Request, session: SupportSession, q: str = "") -> Response:
    """The account search is the console's one search now."""
    return see_other(f"/support/search?q={quote(q.strip())}" if q.strip() else "/support/search")


def account_page(request: Request, session: SessionInfo, account_id: str, error: BastionError | None = None,
                 notice: str | None = None) -> Response:
    services = request.app.state.services
    try:
        account = account_view(services, ensure_may_handle(services, session.account_id, session.roles, account_id))
    except BastionError as missing:
        return staff_missing(request, session, ACCOUNTS, missing)
    return staff_page(request, session, "support/account.html", ACCOUNTS, error, notice, account=account)


@router.get("/accounts/{account_id}")
def show(request: Request, session: SupportSession, account_id: str, done: str = "") -> Response:
    page = account_page(request, session, account_id, notice=notice_for(done, NOTICES))
    if page.status_code == 200:
        record_view(request.app.state.services, session.account_id, account_id, "account", client_from(request))
    return page


@router.get("/accounts/{account_id}/timeline")
def timeline(request: Request, session: SupportSession, account_id: str, before: str = "") -> Response:
    services = request.app.state.services
    try:
        account = account_view(services, ensure_may_handle(services, session.account_id, session.roles, account_id))
    except BastionError as missing:
        return staff_missing(request, session, ACCOUNTS, missing)
    cursor = whole_number(before)
    record_view(services, session.account_id, account["id"], "account_timeline", client_from(request))
    return staff_page(request, session, "support/timeline.html", ACCOUNTS, account=account,
                      timeline=account_timeline(services, account["id"], cursor), first_page=cursor is None)


@router.post("/accounts/{account_id}/export")
def export(request: Request, account_id: str, reason: FormText = "", csrf_token: CsrfField = "") -> Response:
    """The record as a JSON download (audited with the reason)."""
    def export_it(session: SessionInfo) -> Response:
        body = parse_form(ReasonIn, reason=reason)
        services = request.app.state.services
        target = ensure_may_handle(services, session.account_id, session.roles, account_id)
        record = export_account(services, target, session.account_id, body.reason, client_from(request))
        return Response(json.dumps(record, indent=2, ensure_ascii=False), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="account-{target}.json"'})

    return act(request, csrf_token, ACCOUNTS, export_it,
               lambda session, error: account_page(request, session, account_id, error), SUPPORT)


@router.post("/accounts/{account_id}/{action}")
def account_action(request: Request, account_id: str, action: str, reason: FormText = "",
                   csrf_token: CsrfField = "") -> Response:
    def do(session: SessionInfo) -> Response:
        if action not in ACTIONS:
            raise BastionError(Reason.RESOURCE_NOT_FOUND)
        body = parse_form(ReasonIn, reason=reason)
        services, client = request.app.state.services, client_from(request)
        target = ensure_may_handle(services, session.account_id, session.roles, account_id)
        if action == "unlock":
            unlock_account(services, target, session.account_id, body.reason, client)
        elif action == "clear-allowlist":
            clear_allowlist_by_staff(services, target, session.account_id, body.reason, client, via="support_console")
        else:
            send_reset_for_support(services, target, session.account_id, body.reason, client)
        return see_other(f"/support/accounts/{target}?done={action}")

    return act(request, csrf_token, ACCOUNTS, do,
               lambda session, error: account_page(request, session, account_id, error), SUPPORT)


@router.get("/references")
def reference(request: Request, session: SupportSession, reference: str = "") -> Response:
    typed = reference.strip()
    found, error = look_up(typed, RefusalReference, "reference", partial(find_reference, request.app.state.services))
    return staff_page(request, session, "support/reference.html", REFERENCES, error, typed=typed, found=found)
