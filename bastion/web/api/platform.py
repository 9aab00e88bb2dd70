"""POST /v1/introspect: the platform's services validate a session (service key required)."""

from __future__ import annotations

from fastapi import APIRouter

from bastion.errors import BastionError
from bastion.sessions.tokens import authenticate_session
from bastion.web.api.schemas import IntrospectIn, IntrospectOut, restrictions_of
from bastion.web.deps import ServiceKeyDep, ServicesDep
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1", tags=["platform"])


@router.post("/introspect", response_model=IntrospectOut, response_model_exclude_none=True,
             responses=problems(401, 422))
def introspect(body: IntrospectIn, _key: ServiceKeyDep, services: ServicesDep) -> IntrospectOut:
    """Whether a session token is live, and what the platform must respect (restrictions)."""
    try:
        session = authenticate_session(services, body.token)
    except BastionError:
        return IntrospectOut(active=False)
    return IntrospectOut(active=True, account_id=session.account_id, session_id=session.id, aal=session.aal,
                         restrictions=restrictions_of(services, session.account_id),
                         expires_at=session.idle_expires_at)
