"""The account holder's recovery cases in the browser (requirements §16-17, §28-29): ask for a 2FA reset,
an unfreeze or a cleared IP allowlist with the password, upload the identity documents from the emailed link, follow the
case, and cancel it from any case email ("this wasn't me", which also freezes the account).

Asking answers the same page whatever happened; only the account's mailbox learns more. As with
every emailed link, a GET only shows; a POST with the token acts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.notify.outbox import SUBJECTS
from bastion.recovery.cases import (
    CaseStatus,
    add_document,
    admit_upload,
    cancel_with_link,
    case_status,
    request_case,
    spend_upload_attempt,
)
from bastion.recovery.evidence import CHECK_CPU_SECONDS, DOCUMENT_KINDS, MAX_BYTES
from bastion.recovery.evidence_formats import WorkBudget
from bastion.recovery.kinds import KINDS, document_labels, hold_hours, wait_hours
from bastion.services import Services
from bastion.web.api.cases import CaseRequestIn
from bastion.web.api.schemas import TokenIn
from bastion.web.client import client_from
from bastion.web.inputs import Token, checked, valid_id
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, parse_form, public_form_page
from bastion.web.pages.mailbox import mailbox_enabled
from bastion.web.pages.memo import Memo
from bastion.web.pages.redirects import see_other
from bastion.web.pages.render import refusal_page, render
from bastion.web.uploads import multipart_boundary, read_upload, small_urlencoded_form, with_file_checks

router = APIRouter(prefix="/recovery")
FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]
REQUESTS = {
    "mfa-reset": ("mfa_reset", N_("Reset 2FA")),
    "unfreeze": ("unfreeze", N_("Unfreeze your account")),
    "allowlist": ("allowlist_reset", N_("Clear your IP allowlist")),
}
STATUS_WORDS = {
    "awaiting_documents": N_("Waiting for your documents"), "in_review": N_("Support is reviewing it"),
    "waiting": N_("Approved — waiting period"), "completed": N_("Done"), "rejected": N_("Not approved"),
    "cancelled": N_("Cancelled"), "expired": N_("Closed: documents did not arrive in time"),
}
NOTICES = {"uploaded": N_("Thanks, what you chose is in.")}
REQUESTED = Memo("case_requested", "/recovery/requested", minutes=30)
CANCELLED = Memo("case_cancelled", "/recovery/cancelled", minutes=30)


def _request_form(request: Request, which: str, error: BastionError | None = None, email: str = "") -> Response:
    kind, title = REQUESTS[which]
    settings = request.app.state.services.settings
    return public_form_page(request, "recovery/request.html", error, which=which, kind=kind, title=_(title),
                            email=email, note=KINDS[kind],
                            wait_hours=wait_hours(settings, kind), hold_hours=hold_hours(settings, kind),
                            unfreeze_min_hours=settings.unfreeze_min_hours)


def case_page(request: Request, case_id: str, token: str, status: CaseStatus | None = None,
              error: BastionError | None = None, notice: str | None = None) -> Response:
    if status is None:
        case_id, token = valid_id(case_id, "case"), checked(Token, token, "token")
        status = case_status(request.app.state.services, case_id, token, client_from(request))
    return public_form_page(request, "recovery/case.html", error, case=status, case_id=case_id, token=token,
                            case_name=KINDS[status.kind],
                            status_words={key: _(words) for key, words in STATUS_WORDS.items()},
                            kinds=document_labels(status.kind), notice=notice,
                            max_mb=MAX_BYTES // (1024 * 1024))


@router.get("/case")
def case(request: Request, case: str = "", token: str = "", done: str = "") -> Response:
    try:
        notice = NOTICES.get(done)
        return case_page(request, case, parse_form(TokenIn, token=token).token, notice=_(notice) if notice else None)
    except BastionError as error:
        return refusal_page(request, error)


@router.post("/case/documents")
async def upload(request: Request) -> Response:
    """The form carries the case, its token and the CSRF token before the files: all are checked, with the
    case's state and the upload limits, when the first file's part begins — before a file is read (issue 18).

    One form sends the three documents, each in the field named by its kind (a file not chosen comes
    empty and is skipped); a form of one `kind` and its `file` works too."""
    services, client = request.app.state.services, client_from(request)
    seen: dict[str, str] = {}

    async def admit(fields: dict[str, str]) -> None:
        seen.update(fields)
        check_form_csrf(request, fields.get(CSRF_FIELD, ""))
        access = parse_form(TokenIn, token=fields.get("token", "")).token
        await run_in_threadpool(admit_upload, services, valid_id(fields.get("case", ""), "case"), access, client,
                                fields.get("kind"))

    try:
        await run_in_threadpool(spend_upload_attempt, services, client)
        if multipart_boundary(request) is None:  # not our form, which is multipart: a small form at most
            check_form_csrf(request, (await small_urlencoded_form(request)).get(CSRF_FIELD, ""))
            raise BastionError(Reason.REQUEST_INVALID, detail=_("Send the file with the upload form."))
        form = await read_upload(request, admit, MAX_BYTES, ("file", *DOCUMENT_KINDS))
        case_id, access = form.fields["case"], form.fields["token"]
        chosen = [(form.fields.get("kind", "") if field == "file" else field, content)
                  for field, content in form.files.items() if content or field == "file"]
        if not chosen:
            raise BastionError(Reason.REQUEST_INVALID, detail=_("Choose at least one file to upload."))
        budget = WorkBudget(CHECK_CPU_SECONDS)  # the form's files share one check's CPU, not one each
        for kind, content in chosen:
            await with_file_checks(request, client.ip, _add, services, case_id, access, kind, content, client, budget)
    except BastionError as error:
        try:
            return await run_in_threadpool(case_page, request, seen.get("case", ""), seen.get("token", ""), None,
                                           error)
        except BastionError:
            return refusal_page(request, error)
    # Back to the case by its link (POST-redirect-GET), so a reload does not upload again.
    return see_other(f"/recovery/case?case={case_id}&token={access}&done=uploaded")


def _add(services: Services, case_id: str, access: str, kind: str, content: bytes, client: Client,
         budget: WorkBudget) -> None:
    """One document of the form; a refusal names which one, since the form sends three."""
    try:
        add_document(services, case_id, access, kind, content, client, budget)
    except BastionError as refusal:
        if kind in DOCUMENT_KINDS and refusal.code.startswith("evidence."):
            refusal.detail = _("%(document)s: %(problem)s") % {
                "document": _(DOCUMENT_KINDS[kind]),
                "problem": refusal.detail or _(refusal.reason.message)}
        raise


@router.get("/cancel")
def cancel_page(request: Request, token: str = "") -> Response:
    try:
        body = parse_form(TokenIn, token=token)
    except BastionError:
        return refusal_page(request, BastionError(Reason.TOKEN_INVALID))
    return public_form_page(request, "recovery/cancel.html", token=body.token)


@router.post("/cancel")
def cancel_submit(request: Request, token: FormText = "", csrf_token: CsrfField = "") -> Response:
    try:
        check_form_csrf(request, csrf_token)  # first: a cross-site post is refused as such
        body = parse_form(TokenIn, token=token)
    except BastionError as error:
        return public_form_page(request, "recovery/cancel.html", error, token=token)
    try:
        cancelled = cancel_with_link(request.app.state.services, body.token, client_from(request))
    except BastionError as error:
        return refusal_page(request, error)
    return CANCELLED.keep(request, see_other(CANCELLED.path), {"cancelled": cancelled})


@router.get("/cancelled")
def cancelled_page(request: Request) -> Response:
    kept = CANCELLED.read(request)
    if kept is None:
        return see_other("/login")
    return render(request, "recovery/cancelled.html", cancelled=bool(kept.get("cancelled")))


@router.get("/requested")
def requested_page(request: Request) -> Response:
    kept = REQUESTED.read(request)
    if kept is None or kept.get("which") not in REQUESTS:
        return see_other("/recovery/mfa-reset")
    # The email's own subject, so the person looks for the words they will see.
    return render(request, "recovery/requested.html", subject=SUBJECTS["case_opened"],
                  mailbox=mailbox_enabled(request.app.state.services.settings))


@router.get("")
def recovery_home() -> Response:
    return see_other("/recovery/mfa-reset")


# Last: the request pages' path would otherwise take /recovery/case and /recovery/cancel.
@router.get("/{which}")
def request_page(request: Request, which: str) -> Response:
    if which not in REQUESTS:
        return refusal_page(request, BastionError(Reason.RESOURCE_NOT_FOUND))
    return _request_form(request, which)


@router.post("/{which}")
def request_submit(request: Request, which: str, email: FormText = "", password: FormText = "",
                   csrf_token: CsrfField = "") -> Response:
    try:
        check_form_csrf(request, csrf_token)  # first: a cross-site post is refused as such
    except BastionError as error:
        return refusal_page(request, error)
    if which not in REQUESTS:
        return refusal_page(request, BastionError(Reason.RESOURCE_NOT_FOUND))
    services = request.app.state.services
    try:
        body = parse_form(CaseRequestIn, email=email, password=password)
        request_case(services, REQUESTS[which][0], body.email, body.password, client_from(request))
    except BastionError as error:
        return _request_form(request, which, error, email=email.strip())
    # The same page whoever asked: only the account's mailbox learns whether a case was opened.
    return REQUESTED.keep(request, see_other(REQUESTED.path), {"which": which})
