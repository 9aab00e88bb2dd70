"""The security center's "Connected apps": the third-party apps the person allowed, and "remove access"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.oidc.consent import SCOPE_WORDS, connected_apps, remove_access
from bastion.sessions.tokens import SessionInfo
from bastion.web.client import client_from
from bastion.web.pages.forms import CSRF_FIELD
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import PageSession, account_page, act, notice_for

router = APIRouter(prefix="/security/apps")
PAGE = "/security/apps"
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"removed": N_("The app's access is removed: it is signed out and must ask you again.")}


def apps_page(request: Request, session: SessionInfo, error: BastionError | None = None,
              notice: str | None = None) -> Response:
    apps = connected_apps(request.app.state.services, session.account_id)
    return account_page(request, session, "oidc/connected_apps.html", error, notice, apps=apps,
                        words={scope: _(words) for scope, words in SCOPE_WORDS.items()})


@router.get("")
def apps(request: Request, session: PageSession, done: str = "") -> Response:
    return apps_page(request, session, notice=notice_for(done, NOTICES))


@router.post("/{client_id}/remove")
def remove(request: Request, client_id: str, csrf_token: CsrfField = "") -> Response:
    def remove_it(session: SessionInfo) -> Response:
        if not remove_access(request.app.state.services, session.account_id, client_id, client_from(request)):
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("That app has no access to your account."))
        return see_other(f"{PAGE}?done=removed")

    return act(request, csrf_token, PAGE, remove_it, lambda session, error: apps_page(request, session, error))
