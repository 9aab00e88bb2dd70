"""Prepared rejection reasons (admin): agents choose one when rejecting a case and may edit it before
sending. Support reads them on the case page; only admins change them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.i18n import N_
from bastion.recovery.kinds import KINDS
from bastion.sessions.tokens import SessionInfo
from bastion.support.rejection_reasons import prepared_reasons, retire_reason, save_reason
from bastion.web.api.rejection_reasons import RejectionReasonIn
from bastion.web.client import client_from
from bastion.web.inputs import valid_id
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import ADMIN, AdminSession, act, notice_for
from bastion.web.pages.staff import staff_page

router = APIRouter(prefix="/admin/rejection-reasons")
PAGE = "/admin/rejection-reasons"
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"saved": N_("The prepared reason is saved; agents see it when they reject a case."),
           "retired": N_("The prepared reason is withdrawn.")}


def reasons_page(request: Request, session: SessionInfo, error: BastionError | None = None,
                 notice: str | None = None, typed: dict[str, object] | None = None) -> Response:
    return staff_page(request, session, "admin/rejection_reasons.html", PAGE, error, notice,
                      reasons=prepared_reasons(request.app.state.services), kinds=KINDS, typed=typed or {})


@router.get("")
def reasons(request: Request, session: AdminSession, done: str = "") -> Response:
    return reasons_page(request, session, notice=notice_for(done, NOTICES))


@router.post("")
def save(request: Request, title: FormText = "", text: FormText = "", reason_id: FormText = "",
         kinds: Annotated[list[str], Form()] = [], csrf_token: CsrfField = "") -> Response:  # noqa: B006 — FastAPI copies it
    """A new reason, or a change to one (`reason_id`)."""
    typed: dict[str, object] = {"title": title, "text": text, "reason_id": reason_id, "kinds": kinds}

    def save_it(session: SessionInfo) -> Response:
        item = parse_form(RejectionReasonIn, title=title, text=text, kinds=kinds)
        save_reason(request.app.state.services, session.account_id, client_from(request), item.title, item.text,
                    item.kinds, (valid_id(reason_id, "reason_id") if reason_id else None))
        return see_other(f"{PAGE}?done=saved")

    return act(request, csrf_token, PAGE, save_it,
               lambda session, error: reasons_page(request, session, error, typed=typed), ADMIN)


@router.post("/{reason_id}/retire")
def retire(request: Request, reason_id: str, csrf_token: CsrfField = "") -> Response:
    def retire_it(session: SessionInfo) -> Response:
        retire_reason(request.app.state.services, session.account_id, client_from(request),
                      valid_id(reason_id, "reason_id"))
        return see_other(f"{PAGE}?done=retired")

    return act(request, csrf_token, PAGE, retire_it, lambda session, error: reasons_page(request, session, error),
               ADMIN)
