"""Accounts as support sees them (status, factors by type and date, devices, attempts, cases, holds)
and what support may do: lift the wrong-password pause, unfreeze after a case, send a reset link,
clear an IP allowlist whose networks the owner lost.
And any refusal by its reference."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.accounts.allowlist_reset import clear_allowlist_by_staff
from bastion.errors import BastionError
from bastion.recovery.password_reset import send_reset_for_support
from bastion.sessions.tokens import SessionInfo
from bastion.support.decisions import approve_unfreeze, unlock_account
from bastion.support.views import account_view, find_reference, search_accounts
from bastion.web.api.admin import ReasonIn, existing_account_id
from bastion.web.client import client_from
from bastion.web.pages.display import reason_words
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import SUPPORT, act, notice_for, page_session
from bastion.web.pages.staff import staff_page
from bastion.web.pages.support.cases import KIND_WORDS, STATE_WORDS

router = APIRouter(prefix="/support")
ACCOUNTS = "/support/accounts"
REFERENCES = "/support/references"
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"unlock": "The wrong-password pause on this email is lifted.",
           "unfreeze": "The unfreeze is approved: it takes effect at the time shown on the case.",
           "reset": "A password reset link is on its way to the account's email. Support never sets a password.",
           "clear-allowlist": "The IP allowlist is cleared: sign-in is allowed from any network. We emailed the "
                              "owner, and withdrawals are held."}
ACTIONS = ("unlock", "unfreeze", "reset", "clear-allowlist")


@router.get("/accounts")
def find(request: Request, q: str = "") -> Response:
    session = page_session(request, roles=SUPPORT)
    if isinstance(session, Response):
        return session
    query = q.strip()[:320]
    found = search_accounts(request.app.state.services, query) if query else None
    return staff_page(request, session, "admin/accounts.html", ACCOUNTS, query=query, found=found, base=ACCOUNTS)


def account_page(request: Request, session: SessionInfo, account_id: str, error: BastionError | None = None,
                 notice: str | None = None) -> Response:
    try:
        account = account_view(request.app.state.services, account_id[:64])
    except BastionError as missing:
        return staff_page(request, session, "problem.html", ACCOUNTS, missing)
    return staff_page(request, session, "support/account.html", ACCOUNTS, error, notice, account=account,
                      reason_words=reason_words, kind_words=KIND_WORDS, state_words=STATE_WORDS)


@router.get("/accounts/{account_id}")
def show(request: Request, account_id: str, done: str = "") -> Response:
    session = page_session(request, roles=SUPPORT)
    if isinstance(session, Response):
        return session
    return account_page(request, session, account_id, notice=notice_for(done, NOTICES))


@router.post("/accounts/{account_id}/{action}")
def account_action(request: Request, account_id: str, action: str, reason: FormText = "",
                   csrf_token: CsrfField = "") -> Response:
    def do(session: SessionInfo) -> Response:
        if action not in ACTIONS:
            raise BastionError("resource.not_found")
        body = parse_form(ReasonIn, reason=reason)
        services, client = request.app.state.services, client_from(request)
        target = existing_account_id(services, account_id[:64])
        if action == "unlock":
            unlock_account(services, target, session.account_id, body.reason, client)
        elif action == "unfreeze":
            approve_unfreeze(services, target, session.account_id, body.reason, client)
        elif action == "clear-allowlist":
            clear_allowlist_by_staff(services, target, session.account_id, body.reason, client, via="support_console")
        else:
            send_reset_for_support(services, target, session.account_id, body.reason, client)
        return see_other(f"{ACCOUNTS}/{target}?done={action}")

    return act(request, csrf_token, ACCOUNTS, do,
               lambda session, error: account_page(request, session, account_id, error), SUPPORT)


@router.get("/references")
def reference(request: Request, reference: str = "") -> Response:
    session = page_session(request, roles=SUPPORT)
    if isinstance(session, Response):
        return session
    typed = reference.strip()[:32]
    found, error = None, None
    if typed:
        try:
            found = find_reference(request.app.state.services, typed)
        except BastionError as missing:
            error = missing
    return staff_page(request, session, "support/reference.html", REFERENCES, error, typed=typed, found=found,
                      reason_words=reason_words)
