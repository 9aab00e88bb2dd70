"""The guided troubleshooter, /help/sign-in: one page per problem, each path ending in an action
the person can take right there (a form that acts, a link, a check the service runs).

Everything works with plain links and forms: a reference is looked up with a GET form, the
cookie check is a link, the resend and reset forms are POST forms with the pre-sign-in CSRF
token. Live parts come from the service: maintenance now, when a pause ends (by reference),
the browser's cookies and version, the time to set a phone's clock by.
"""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.background import BackgroundTask
from starlette.responses import Response

from bastion.catalogue import CATALOGUE
from bastion.errors import BastionError, Reason
from bastion.help import diagnoses
from bastion.help.guide import BY_SLUG, CASE_REQUEST_FORMS, FORMS, TOPIC_TITLES, TOPICS, Topic
from bastion.help.references import Explanation, explain_reference
from bastion.help.resend import resend_device_code, start_resend_password_reset, start_resend_verification
from bastion.i18n import N_, _
from bastion.ops.announcements import live_announcements
from bastion.ops.client_versions import all_policies
from bastion.recovery.cases import request_case
from bastion.web.api.cases import CaseRequestIn
from bastion.web.api.help import EmailIn
from bastion.web.client import client_from
from bastion.web.inputs import RefusalReference, checked
from bastion.web.pages.forms import CSRF_FIELD, check_form_csrf, parse_form, public_form_page
from bastion.web.pages.render import render

router = APIRouter(prefix="/help/sign-in")
FormText = Annotated[str, Form()]
COOKIE_CHECK = "bastion_cookie_check"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{22}$")  # token_urlsafe(16)
SENT = {
    "verification": (N_("Check your inbox"),
                     N_("If this address has an account waiting for confirmation, a new confirmation link is on its "
                        "way. Older links no longer work.")),
    "password_reset": (N_("Check your inbox"),
                       N_("If this address has an account, a new link to set a password is on its way. It is valid "
                          "for 30 minutes; older links no longer work.")),
    "mfa_reset": (N_("Check your inbox"),
                  N_("If the email and password were right, we emailed the account a link to upload your identity "
                     "documents. Only the newest link works.")),
    "unfreeze": (N_("Check your inbox"),
                 N_("If the email and password were right and the account is frozen, we emailed it a link to upload "
                    "your identity documents. Only the newest link works.")),
    "allowlist_reset": (N_("Check your inbox"),
                        N_("If the email and password were right and the account has an IP allowlist, we emailed it "
                           "a link to upload your identity documents. Only the newest link works.")),
}
# Recovery requests from the troubleshooter: the case kind, and the page and section their form is on.
CASE_FORMS = {"mfa_reset": ("lost-phone", "mfa_reset_form"), "unfreeze": ("restricted", "unfreeze_form"),
              "allowlist_reset": ("restricted", "allowlist_reset_form")}


def _lookup(request: Request, reference: str) -> tuple[Explanation | None, BastionError | None]:
    if not reference.strip():
        return None, None
    try:
        return explain_reference(request.app.state.services, checked(RefusalReference, reference, "reference")), None
    except BastionError as error:
        return None, error


def _live(request: Request, topic: Topic | None) -> dict[str, Any]:
    """What the topic's live parts show, read from the service now."""
    services = request.app.state.services
    wanted = {section.live for section in topic.sections} if topic else set()
    live: dict[str, Any] = {"maintenance": diagnoses.maintenance(services)}
    if "clock" in wanted:
        live["server_time"] = diagnoses.server_time(services)
    if "browser" in wanted:
        live["browser"] = diagnoses.check_browser(request.headers.get("user-agent"))
    if "app_versions" in wanted:
        live["app"] = diagnoses.check_app(services, client_from(request))
        live["policies"] = all_policies(services)
    if "announcements" in wanted:
        live["announcements"] = [item for item in live_announcements(services) if item.kind != "notice"]
    live["mail_from"] = services.settings.mail_from
    live["support_url"] = services.settings.support_url
    return live


@router.get("")
def help_index(request: Request, reference: str = "") -> Response:
    explanation, not_found = _lookup(request, reference)
    return render(request, "help_index.html", topics=TOPICS, live=_live(request, None), explanation=explanation,
                  lookup_problem=not_found, reference=reference)


def topic_page(request: Request, slug: str, error: BastionError | None = None, **context: Any) -> Response:
    topic = BY_SLUG[slug]
    reference = str(context.pop("reference", request.query_params.get("reference", "")))
    explanation, not_found = _lookup(request, reference)
    context.setdefault("email", "")
    context.setdefault("failed", None)
    return public_form_page(request, "help_topic.html", error, topic=topic, live=_live(request, topic),
                            explanation=explanation, lookup_problem=not_found, reference=reference,
                            titles={slug: _(title) for slug, title in TOPIC_TITLES.items()}, forms=FORMS,
                            case_request_forms=CASE_REQUEST_FORMS, **context)


@router.get("/browser")
def browser_page(request: Request, check: str = "") -> Response:
    """The cookie round trip: this page sets a cookie; the check link reports whether it came back."""
    cookies: str | None = None
    if _NONCE.match(check):
        returned = request.cookies.get(COOKIE_CHECK, "")
        cookies = "kept" if secrets.compare_digest(returned, check) else ("stale" if returned else "blocked")
    nonce = secrets.token_urlsafe(16)
    response = topic_page(request, "browser", cookies=cookies, check_nonce=nonce,
                          cookies_reason=CATALOGUE[Reason.BROWSER_COOKIES_BLOCKED] if cookies == "blocked" else None)
    secure = request.app.state.services.settings.cookie_secure
    # The same kind of cookie the sign-in forms need: HttpOnly, SameSite=Strict, no expiry.
    response.set_cookie(COOKIE_CHECK, nonce, httponly=True, samesite="strict", secure=secure, path="/help")
    return response


@router.get("/{slug}")
def help_topic(request: Request, slug: str) -> Response:
    if slug not in BY_SLUG:
        raise BastionError(Reason.RESOURCE_NOT_FOUND, detail=_("There is no help page with this name."))
    return topic_page(request, slug)


@router.post("/resend-verification")
def resend_verification_submit(request: Request, email: FormText = "",
                               csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    return _resend(request, "verification", email, csrf_token)


@router.post("/resend-reset")
def resend_reset_submit(request: Request, email: FormText = "",
                        csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    return _resend(request, "password_reset", email, csrf_token)


def _resend(request: Request, kind: str, email: str, csrf_token: str) -> Response:
    services = request.app.state.services
    start = start_resend_verification if kind == "verification" else start_resend_password_reset
    try:
        check_form_csrf(request, csrf_token)
        body = parse_form(EmailIn, email=email)
        work = start(services, body.email, client_from(request))
    except BastionError as error:
        return topic_page(request, "email", error, email=email.strip(), failed=kind)
    title, message = SENT[kind]
    page = render(request, "help_sent.html", title=_(title), message=_(message))
    page.background = BackgroundTask(work)  # after the answer: an address with an account takes no longer
    return page


@router.post("/mfa-reset")
def mfa_reset_submit(request: Request, email: FormText = "", password: FormText = "",
                     csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    return _request_case(request, "mfa_reset", email, password, csrf_token)


@router.post("/unfreeze-request")
def unfreeze_submit(request: Request, email: FormText = "", password: FormText = "",
                    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    return _request_case(request, "unfreeze", email, password, csrf_token)


@router.post("/allowlist-reset")
def allowlist_reset_submit(request: Request, email: FormText = "", password: FormText = "",
                           csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    return _request_case(request, "allowlist_reset", email, password, csrf_token)


def _request_case(request: Request, kind: str, email: str, password: str, csrf_token: str) -> Response:
    """The same answer whatever happened (requirements §17): only the account's mailbox learns more."""
    slug, form = CASE_FORMS[kind]
    try:
        check_form_csrf(request, csrf_token)
        body = parse_form(CaseRequestIn, email=email, password=password)
        request_case(request.app.state.services, kind, body.email, body.password, client_from(request))
    except BastionError as error:
        return topic_page(request, slug, error, email=email.strip(), failed=form)
    title, message = SENT[kind]
    return render(request, "help_sent.html", title=_(title), message=_(message))


@router.post("/resend-device-code")
def resend_device_code_submit(request: Request, flow_id: FormText = "",
                              csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    """"Send a new code" from the "Confirm it's you" page (the flow id travels in a hidden field)."""
    from bastion.web.pages.next_step import device_code_page
    from bastion.web.pages.second_step import on_flow

    def resend(flow: str) -> Response:
        resend_device_code(request.app.state.services, flow, client_from(request))
        return device_code_page(request, flow)

    return on_flow(request, flow_id, csrf_token, resend, lambda flow, error: device_code_page(request, flow, error))
