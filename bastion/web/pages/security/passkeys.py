"""Passkeys in the security center: add (the browser's WebAuthn ceremony, so JavaScript), rename, remove.

The creation options come from a JSON endpoint the page's script calls with the session's CSRF
token; the browser's answer then goes back in an ordinary form post, so the result — the list
again, or the first backup codes — is a page like any other.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from bastion.i18n import _
from bastion.mfa.passkeys.management import register_passkey, registration_options, remove_passkey, rename_passkey
from bastion.sessions.tokens import SessionInfo
from bastion.web.api.mfa_schemas import PasskeyRegisterIn, PasskeyRenameIn
from bastion.web.client import client_from
from bastion.web.deps import session_from_request
from bastion.web.inputs import valid_id
from bastion.web.pages.forms import CSRF_FIELD, parse_form
from bastion.web.pages.passkey_login import credential_from
from bastion.web.pages.redirects import see_other
from bastion.web.pages.security.two_factor import PAGE, backup_codes_page, two_factor_page
from bastion.web.pages.signed_in import act

router = APIRouter(prefix="/security/passkeys")
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]


@router.post("/options")
def creation_options(request: Request) -> Response:
    """For the page's script: problem+json on refusal (`reauth.required` sends it to the step-up page)."""
    session = session_from_request(request)  # the CSRF token comes in the X-CSRF-Token header
    options = registration_options(request.app.state.services, session)
    return JSONResponse({"publicKey": options})


@router.post("/add")
def add(request: Request, name: FormText = "", credential: FormText = "", csrf_token: CsrfField = "") -> Response:
    def register(session: SessionInfo) -> Response:
        body = parse_form(PasskeyRegisterIn, name=name or _("Passkey"),
                          credential=credential_from(credential, registering=True))
        registered = register_passkey(request.app.state.services, session, body.credential, body.name,
                                      client_from(request))
        if registered.backup_codes:
            return backup_codes_page(request, session, registered.backup_codes, "passkey")
        return see_other(f"{PAGE}?done=passkey-added")

    return act(request, csrf_token, PAGE, register, lambda session, error: two_factor_page(request, session, error))


@router.post("/{passkey_id}/rename")
def rename(request: Request, passkey_id: str, name: FormText = "", csrf_token: CsrfField = "") -> Response:
    def rename_it(session: SessionInfo) -> Response:
        body = parse_form(PasskeyRenameIn, name=name)
        rename_passkey(request.app.state.services, session, valid_id(passkey_id, "passkey_id"), body.name,
                       client_from(request))
        return see_other(f"{PAGE}?done=passkey-renamed")

    return act(request, csrf_token, PAGE, rename_it, lambda session, error: two_factor_page(request, session, error))


@router.post("/{passkey_id}/remove")
def remove(request: Request, passkey_id: str, csrf_token: CsrfField = "") -> Response:
    def remove_it(session: SessionInfo) -> Response:
        remove_passkey(request.app.state.services, session, valid_id(passkey_id, "passkey_id"), client_from(request))
        return see_other(f"{PAGE}?done=passkey-removed")

    return act(request, csrf_token, PAGE, remove_it, lambda session, error: two_factor_page(request, session, error))
