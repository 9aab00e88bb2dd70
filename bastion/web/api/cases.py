"""Recovery cases for the account holder: 2FA reset, unfreeze and IP allowlist reset requests, evidence, cancel.

Starting a case answers the same 202 whatever happened; the rest needs the case link emailed
to the account (its token goes in `X-Case-Token`, or the `token` form field of an upload).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.recovery.cases import (
    CaseStatus,
    add_document,
    admit_upload,
    cancel_with_link,
    case_status,
    check_document_kind,
    request_case,
    spend_upload_attempt,
)
from bastion.recovery.evidence import DOCUMENT_KINDS, MAX_BYTES
from bastion.web.api.answers import answer_model
from bastion.web.api.schemas import Body, TokenIn
from bastion.web.deps import ClientDep, ServicesDep
from bastion.web.inputs import Email, EntityId, Password, Token
from bastion.web.openapi import problems
from bastion.web.uploads import read_upload, with_file_checks

router = APIRouter(tags=["recovery"])


class CaseRequestIn(Body):
    email: Email
    password: Password


CASE_ACCEPTED = N_("If the details were right, we emailed the account a link to upload identity documents.")


class CaseAcceptedOut(BaseModel):
    case_id: str
    status: str = "received"
    next: str = CASE_ACCEPTED


def _accepted(case_id: str) -> CaseAcceptedOut:
    return CaseAcceptedOut(case_id=case_id, next=_(CASE_ACCEPTED))


CaseStatusOut = answer_model(CaseStatus, "CaseStatusOut")


class CancelOut(BaseModel):
    status: str = "cancelled"
    cases_cancelled: int
    account: str = "frozen"


def _out(status: CaseStatus) -> BaseModel:
    return CaseStatusOut.model_validate(status)


@router.post("/v1/mfa-reset", status_code=202, response_model=CaseAcceptedOut, responses=problems(422, 429))
def start_mfa_reset(body: CaseRequestIn, services: ServicesDep, client: ClientDep) -> CaseAcceptedOut:
    """Lost authenticator and no backup codes: start a 2FA reset (requirements §16-17).

    The same answer for an unknown email, a wrong password or an already open case."""
    return _accepted(request_case(services, "mfa_reset", body.email, body.password, client))


@router.post("/v1/unfreeze-request", status_code=202, response_model=CaseAcceptedOut,
             responses=problems(422, 429))
def start_unfreeze(body: CaseRequestIn, services: ServicesDep, client: ClientDep) -> CaseAcceptedOut:
    """Ask for a frozen account to be unfrozen after an identity check (requirements §28)."""
    return _accepted(request_case(services, "unfreeze", body.email, body.password, client))


@router.post("/v1/allowlist-reset-request", status_code=202, response_model=CaseAcceptedOut,
             responses=problems(422, 429))
def start_allowlist_reset(body: CaseRequestIn, services: ServicesDep, client: ClientDep) -> CaseAcceptedOut:
    """Lost every network on the IP allowlist: ask for it to be cleared after an identity check (requirements §29).

    Works from any network (sign-in from here is what the allowlist refuses); the same answer for an
    unknown email, a wrong password, an account without an allowlist or an already open case."""
    return _accepted(request_case(services, "allowlist_reset", body.email, body.password, client))


@router.get("/v1/recovery-cases/{case_id}", response_model=CaseStatusOut, responses=problems(400, 422, 429))
def get_case(case_id: EntityId, services: ServicesDep, client: ClientDep,
             x_case_token: Annotated[Token, Header(description="The token of the emailed case link")]
             ) -> BaseModel:
    """Where the case stands and what comes next."""
    return _out(case_status(services, case_id, x_case_token, client))


_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["kind", "file"],
    "properties": {
        "token": {"type": "string", "maxLength": 256,
                  "description": "The token of the emailed case link, if not in `X-Case-Token`; before the file"},
        "kind": {"type": "string", "enum": list(DOCUMENT_KINDS), "description": "Which document; before the file"},
        "file": {"type": "string", "format": "binary", "description": "JPEG, PNG or PDF, at most 10 MB"},
    },
}}}}}


@router.post("/v1/mfa-reset/{case_id}/documents", status_code=201, response_model=CaseStatusOut,
             responses=problems(400, 409, 413, 415, 422, 429), openapi_extra=_UPLOAD_BODY)
@router.post("/v1/recovery-cases/{case_id}/documents", status_code=201, response_model=CaseStatusOut,
             responses=problems(400, 409, 413, 415, 422, 429), include_in_schema=False)
async def upload_document(
    case_id: EntityId,
    request: Request,
    services: ServicesDep,
    client: ClientDep,
    x_case_token: Annotated[Token | None, Header(description="The token of the emailed case link")] = None,
) -> BaseModel:
    """Upload one identity document; uploading a kind again replaces it.

    The case link and the case's state are checked before the file is read: with `X-Case-Token`,
    before any of the body; with the `token` field, when the file's part begins (send it first)."""
    await run_in_threadpool(spend_upload_attempt, services, client)
    if x_case_token:
        await run_in_threadpool(admit_upload, services, case_id, x_case_token, client)

    async def admit(fields: dict[str, str]) -> None:
        if x_case_token:
            if "kind" in fields:
                check_document_kind(fields["kind"])
            return
        token = fields.get("token", "")
        if not token or len(token) > 256:
            raise BastionError(Reason.TOKEN_INVALID,
                               detail=_("Send the token of the emailed case link (before the file)."))
        await run_in_threadpool(admit_upload, services, case_id, token, client, fields.get("kind"))

    upload = await read_upload(request, admit, MAX_BYTES)
    if not upload.has_file:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("Send the document in the `file` field."))
    status = await with_file_checks(request, client.ip, add_document, services, case_id,
                                    x_case_token or upload.fields["token"], upload.fields.get("kind", ""), upload.file,
                                    client)
    return _out(status)


@router.post("/v1/mfa-reset/cancel", response_model=CancelOut, responses=problems(400, 410, 422, 429))
def cancel_case(body: TokenIn, services: ServicesDep, client: ClientDep) -> CancelOut:
    """The "this wasn't me" link of a case email: ends every open case and freezes the account."""
    return CancelOut(cases_cancelled=cancel_with_link(services, body.token, client))
