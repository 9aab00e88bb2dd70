"""Announcements on the status page: security advisories, phishing warnings, notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.ops.announcements import KINDS, live_announcements, publish, withdraw
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.ops_admin import AnnouncementIn
from bastion.web.inputs import valid_id
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import ADMIN, AdminSession, act, notice_for
from bastion.web.pages.staff import staff_page, typed_time
from bastion.web.pages.status import kind_words

router = APIRouter(prefix="/admin/announcements")
PAGE = "/admin/announcements"
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"published": N_("The announcement is published on the status page."),
           "withdrawn": N_("The announcement is withdrawn.")}


def announcements_page(request: Request, session: SessionInfo, error: BastionError | None = None,
                       notice: str | None = None, typed: dict[str, str] | None = None) -> Response:
    return staff_page(request, session, "admin/announcements.html", PAGE, error, notice,
                      announcements=live_announcements(request.app.state.services), kinds=KINDS,
                      kind_words=kind_words(), typed=typed or {})


@router.get("")
def announcements(request: Request, session: AdminSession, done: str = "") -> Response:
    return announcements_page(request, session, notice=notice_for(done, NOTICES))


@router.post("")
def publish_one(request: Request, kind: FormText = "", title: FormText = "", body: FormText = "",
                publish_at: FormText = "", expires_at: FormText = "", csrf_token: CsrfField = "") -> Response:
    typed = {"kind": kind, "title": title, "body": body, "publish_at": publish_at, "expires_at": expires_at}

    def publish_it(session: SessionInfo) -> Response:
        item = parse_form(AnnouncementIn, kind=kind, title=title, body=body,
                          publish_at=typed_time(publish_at, N_("publication time")),
                          expires_at=typed_time(expires_at, N_("expiry")))
        publish(request.app.state.services, item.kind, item.title, item.body, item.publish_at, item.expires_at)
        return see_other(f"{PAGE}?done=published")

    return act(request, csrf_token, PAGE, publish_it,
               lambda session, error: announcements_page(request, session, error, typed=typed), ADMIN)


@router.post("/{announcement_id}/withdraw")
def withdraw_one(request: Request, announcement_id: str, csrf_token: CsrfField = "") -> Response:
    def withdraw_it(session: SessionInfo) -> Response:
        if not withdraw(request.app.state.services, valid_id(announcement_id, "announcement_id")):
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such announcement."))
        return see_other(f"{PAGE}?done=withdrawn")

    return act(request, csrf_token, PAGE, withdraw_it,
               lambda session, error: announcements_page(request, session, error), ADMIN)
