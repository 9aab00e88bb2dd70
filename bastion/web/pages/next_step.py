"""What a browser sign-in shows after each step: the session cookie and home, or the page of the
requirement the flow answered with — looked up, one page per requirement a stage declares."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from starlette.responses import Response

from bastion.errors import BastionError
from bastion.mfa.registry import METHODS
from bastion.signin.flow import Authenticated, SignInResult, StepRequired
from bastion.web.deps import SESSION_COOKIE
from bastion.web.pages.forms import public_form_page
from bastion.web.pages.redirects import see_other
from bastion.web.pages.staff import console_home
from bastion.web.return_to import after_sign_in, forget_return_to


def second_step_page(request: Request, flow_id: str, methods: list[str], error: BastionError | None = None,
                     method: str = "") -> Response:
    """The page for one way of taking the step (the first offered unless chosen), with links to the others."""
    offered = [factor for factor in METHODS if factor.name in methods]
    chosen = next((factor for factor in offered if factor.name == method), offered[0] if offered else None)
    return public_form_page(request, "second_step.html", error, flow_id=flow_id, methods=[f.name for f in offered],
                            offered=offered, chosen=chosen)


def device_code_page(request: Request, flow_id: str, error: BastionError | None = None) -> Response:
    return public_form_page(request, "device_code.html", error, flow_id=flow_id)


STEP_PAGES: dict[str, Callable[[Request, StepRequired], Response]] = {
    "mfa_required": lambda request, step: second_step_page(
        request, step.flow.id, list(step.requirement.details.get("methods", []))),  # type: ignore[call-overload]
    "device_verification_required": lambda request, step: device_code_page(request, step.flow.id),
}


def next_step_response(request: Request, result: SignInResult) -> Response:
    """Signed in: the cookie and home. Otherwise the page for the step the flow asks for."""
    if isinstance(result, Authenticated):
        return signed_in_response(request, result)
    return STEP_PAGES[result.requirement.status](request, result)


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
