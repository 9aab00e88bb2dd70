"""What a browser sign-in shows after each step: the session cookie and home, or the page of the
requirement the flow answered with — looked up, one page per requirement a stage declares.

Each step's page is a GET (Post/Redirect/Get): a step's POST sends the browser on to it, so Back,
reload and switching between the ways of taking a step never post a form again, and a link can
switch the way within the same sign-in. The sign-in the page belongs to (its flow id and the ways
offered) is kept for it in a sealed cookie sent only to /login pages, never in the address; the
step's forms still carry the flow id, which is what the step's POST acts on.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.mfa.registry import METHODS
from bastion.signin.flow import Authenticated, SignInResult, StepRequired
from bastion.web.deps import SESSION_COOKIE
from bastion.web.pages.forms import public_form_page
from bastion.web.pages.memo import Memo
from bastion.web.pages.redirects import see_other
from bastion.web.pages.staff import console_home
from bastion.web.return_to import after_sign_in, forget_return_to

SECOND_STEP, DEVICE_CODE = "/login/second-step", "/login/device-code"
# As long as a sign-in may wait for its next step (flows expire sooner by default: then the step says so).
STEP = Memo("sign_in_step", "/login", minutes=60)
STEP_PAGES = {"mfa_required": SECOND_STEP, "device_verification_required": DEVICE_CODE}


def second_step_page(request: Request, flow_id: str, methods: list[str], error: BastionError | None = None,
                     method: str = "") -> Response:
    """The page for one way of taking the step (the first offered unless chosen), with links to the others."""
    offered = [factor for factor in METHODS if factor.name in methods]
    chosen = next((factor for factor in offered if factor.name == method), offered[0] if offered else None)
    names = [factor.name for factor in offered]

    def within_this_sign_in(problem: dict[str, Any]) -> None:
        """A wrong code's way out stays in this sign-in: "Use a backup code instead" opens the backup-code
        form of the same flow (not a help page). A wrong backup code leaves trying again as the thing
        to do, its 2FA reset a quiet link."""
        if problem.get("code") == Reason.MFA_CODE_INVALID:
            if "backup_code" in names and (chosen is None or chosen.name != "backup_code"):
                problem["action"] = {**problem.get("action", {}), "href": f"{SECOND_STEP}?method=backup_code"}
            else:
                problem.pop("action", None)
        elif problem.get("code") == Reason.MFA_BACKUP_CODE_INVALID:
            problem["quiet_action"] = True

    return public_form_page(request, "second_step.html", error, shape=within_this_sign_in, flow_id=flow_id,
                            methods=names, offered=offered, chosen=chosen)


def device_code_page(request: Request, flow_id: str, error: BastionError | None = None,
                     notice: str | None = None) -> Response:
    def within_this_sign_in(problem: dict[str, Any]) -> None:
        if problem.get("code") == Reason.DEVICE_CODE_INVALID:
            problem.pop("action", None)  # "Send a new code" is on the page itself, for this sign-in

    return public_form_page(request, "device_code.html", error, shape=within_this_sign_in, flow_id=flow_id,
                            notice=notice)


def to_step(request: Request, status: str, flow_id: str, methods: list[str] | None = None, query: str = "") -> Response:
    """303 to the page of the step `status`, which the kept sign-in opens."""
    answer = see_other(STEP_PAGES[status] + query)
    return STEP.keep(request, answer, {"status": status, "flow": flow_id, "methods": methods or []})


def kept_step(request: Request, status: str) -> dict[str, Any] | None:
    """The sign-in this browser is at, if its next step is `status`."""
    kept = STEP.read(request)
    if kept is None or kept.get("status") != status or not isinstance(kept.get("flow"), str):
        return None
    return kept


def next_step_response(request: Request, result: SignInResult) -> Response:
    """Signed in: the cookie and home. Otherwise to the page of the step the flow asks for."""
    if isinstance(result, Authenticated):
        return STEP.drop(signed_in_response(request, result))
    return _to_page_of(request, result)


def _to_page_of(request: Request, step: StepRequired) -> Response:
    methods = step.requirement.details.get("methods", [])
    return to_step(request, step.requirement.status, step.flow.id,
                   [str(name) for name in methods] if isinstance(methods, list) else [])


def signed_in_response(request: Request, result: Authenticated) -> Response:
    """303 to the home page with the session cookie; it lasts as long as the session at most."""
    services = request.app.state.services
    # The app the sign-in was for, if any; else staff land in their console, everyone else at home.
    destination = after_sign_in(request)
    if destination == "/":
        destination = console_home(result.account.role_set, result.session.aal)
    response = forget_return_to(request, see_other(destination))
    max_age = None
    if result.session.remember:
        # "Keep me signed in": survives closing the browser, until the session's absolute expiry.
        max_age = max(int((result.session.expires_at - services.clock.now()).total_seconds()), 0)
    response.set_cookie(SESSION_COOKIE, result.token, max_age=max_age, path="/", httponly=True,
                        samesite="lax", secure=services.settings.cookie_secure)
    return response
