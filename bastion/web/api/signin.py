"""POST /v1/login and POST /v1/logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bastion.sessions.sign_out import sign_out
from bastion.sessions.tokens import idle_expiry
from bastion.signin.flow import Authenticated, SignInResult
from bastion.signin.password import sign_in_with_password
from bastion.web.api.schemas import AccountOut, FlowOut, LoginIn, LoginOut, SessionTokenOut
from bastion.web.client import client_from, new_device_id, set_device_cookie
from bastion.web.deps import SESSION_COOKIE, ServicesDep, SessionDep
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1", tags=["sign-in"])


def login_answer(result: SignInResult) -> LoginOut:
    if isinstance(result, Authenticated):
        return LoginOut(
            status="authenticated",
            update_available=result.update_available,
            session=SessionTokenOut(token=result.token, expires_at=result.session.expires_at,
                                    idle_expires_at=idle_expiry(result.session)),
            account=AccountOut(id=result.account.id, email=result.account.email),
        )
    flow = result.flow
    methods = result.requirement.details.get("methods")
    return LoginOut(
        status=result.requirement.status,  # type: ignore[arg-type]
        update_available=result.update_available,
        flow=FlowOut(id=flow.id, expires_at=flow.expires_at, methods=list(methods) if methods else None),  # type: ignore[call-overload]
    )


@router.post("/login", response_model=LoginOut, response_model_exclude_none=True,
             responses=problems(401, 403, 422, 426, 429, 503))
def login(body: LoginIn, request: Request, response: Response, services: ServicesDep) -> LoginOut:
    """Sign in with email and password. Answers the session, or the next step the flow requires.

    Apps send `X-Device-Id`, browsers the `bastion_device` cookie; a client sending no identifier
    Bastion signed is answered a new one (`device_id`, and the cookie).
    """
    device = new_device_id(request)
    result = sign_in_with_password(services, body.email, body.password, client_from(request, device),
                                   remember=body.remember_device)
    set_device_cookie(request, response, device)
    answer = login_answer(result)
    answer.device_id = device
    return answer


@router.post("/logout", status_code=204, responses=problems(401, 403, 503))
def logout(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    sign_out(services, session, client_from(request))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
