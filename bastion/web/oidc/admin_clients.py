"""The admin console's app registry: the platform's apps that sign people in through Bastion
(the same as `bastion oidc client …`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import StringConstraints
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.oidc.clients import (
    NewClient,
    client_view,
    create_client,
    delete_client,
    list_clients,
    rotate_client_secret,
)
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.schemas import Body
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import ADMIN, AdminSession, act, notice_for
from bastion.web.pages.staff import staff_page

router = APIRouter(prefix="/admin/apps")
PAGE = "/admin/apps"
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
FormText = Annotated[str, Form()]
NOTICES = {"deleted": N_("The app is deleted: its tokens, consents and sign-ins through it ended with it.")}


class AppIn(Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    redirect_uris: Annotated[str, StringConstraints(max_length=4000)]
    post_logout_redirect_uris: Annotated[str, StringConstraints(max_length=4000)]
    backchannel_logout_uri: Annotated[str, StringConstraints(max_length=500)] | None = None


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.replace(",", "\n").splitlines() if line.strip())


def apps_page(request: Request, session: SessionInfo, error: BastionError | None = None, notice: str | None = None,
              created: tuple[str, str, str | None] | None = None, typed: dict[str, str] | None = None) -> Response:
    services = request.app.state.services
    return staff_page(request, session, "oidc/admin_apps.html", PAGE, error, notice,
                      apps=[client_view(row) for row in list_clients(services)], created=created,
                      typed=typed or {}, issuer=services.settings.public_url)


@router.get("")
def apps(request: Request, session: AdminSession, done: str = "") -> Response:
    return apps_page(request, session, notice=notice_for(done, NOTICES))


@router.post("")
def create(request: Request, name: FormText = "", redirect_uris: FormText = "", post_logout_redirect_uris: FormText = "",
           backchannel_logout_uri: FormText = "", kind: FormText = "confidential", first_party: FormText = "",
           offline: FormText = "", csrf_token: CsrfField = "") -> Response:
    typed = dict(name=name, redirect_uris=redirect_uris, post_logout_redirect_uris=post_logout_redirect_uris,
                 backchannel_logout_uri=backchannel_logout_uri, kind=kind, first_party=first_party, offline=offline)

    def create_it(session: SessionInfo) -> Response:
        body = parse_form(AppIn, name=name, redirect_uris=redirect_uris,
                          post_logout_redirect_uris=post_logout_redirect_uris,
                          backchannel_logout_uri=backchannel_logout_uri or None)
        row, secret = create_client(request.app.state.services, NewClient(
            name=body.name, redirect_uris=_lines(body.redirect_uris), public=kind == "public",
            first_party=first_party == "on", allow_offline=offline == "on",
            post_logout_redirect_uris=_lines(body.post_logout_redirect_uris),
            backchannel_logout_uri=body.backchannel_logout_uri))
        # The secret is shown on this answer only: it is stored as a hash.
        return apps_page(request, session, created=(row.name, row.id, secret))

    return act(request, csrf_token, PAGE, create_it,
               lambda session, error: apps_page(request, session, error, typed=typed), ADMIN)


@router.post("/{client_id}/rotate-secret")
def rotate(request: Request, client_id: str, csrf_token: CsrfField = "") -> Response:
    def rotate_it(session: SessionInfo) -> Response:
        services = request.app.state.services
        secret = rotate_client_secret(services, client_id)
        name = next((row.name for row in list_clients(services) if row.id == client_id), client_id)
        return apps_page(request, session, created=(name, client_id, secret))

    return act(request, csrf_token, PAGE, rotate_it, lambda session, error: apps_page(request, session, error), ADMIN)


@router.post("/{client_id}/delete")
def delete(request: Request, client_id: str, csrf_token: CsrfField = "") -> Response:
    def delete_it(session: SessionInfo) -> Response:
        if not delete_client(request.app.state.services, client_id):
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such app, or it is already deleted."))
        return see_other(f"{PAGE}?done=deleted")

    return act(request, csrf_token, PAGE, delete_it, lambda session, error: apps_page(request, session, error), ADMIN)
