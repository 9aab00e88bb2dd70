"""Service keys: how the platform's own services authenticate to `POST /v1/introspect`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import StringConstraints
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.sessions.service_keys import create_service_key, list_service_keys, revoke_service_key
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.schemas import Body
from bastion.web.inputs import valid_id
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.redirects import see_other
from bastion.web.pages.signed_in import ADMIN, AdminSession, act, notice_for
from bastion.web.pages.staff import staff_page

router = APIRouter(prefix="/admin/service-keys")
PAGE = "/admin/service-keys"
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
NOTICES = {"revoked": N_("The key is revoked: introspection with it is refused from now on.")}


class KeyNameIn(Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def keys_page(request: Request, session: SessionInfo, error: BastionError | None = None, notice: str | None = None,
              created: tuple[str, str] | None = None) -> Response:
    return staff_page(request, session, "admin/service_keys.html", PAGE, error, notice,
                      keys=list_service_keys(request.app.state.services), created=created)


@router.get("")
def keys(request: Request, session: AdminSession, done: str = "") -> Response:
    return keys_page(request, session, notice=notice_for(done, NOTICES))


@router.post("")
def create(request: Request, name: Annotated[str, Form()] = "", csrf_token: CsrfField = "") -> Response:
    def create_it(session: SessionInfo) -> Response:
        body = parse_form(KeyNameIn, name=name)
        secret, view = create_service_key(request.app.state.services, body.name)
        # Shown on this answer only: the key is stored as a hash.
        return keys_page(request, session, created=(view.name, secret))

    return act(request, csrf_token, PAGE, create_it, lambda session, error: keys_page(request, session, error), ADMIN)


@router.post("/{key_id}/revoke")
def revoke(request: Request, key_id: str, csrf_token: CsrfField = "") -> Response:
    def revoke_it(session: SessionInfo) -> Response:
        if not revoke_service_key(request.app.state.services, valid_id(key_id, "key_id")):
            raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("No such key, or it is already revoked."))
        return see_other(f"{PAGE}?done=revoked")

    return act(request, csrf_token, PAGE, revoke_it, lambda session, error: keys_page(request, session, error), ADMIN)
