"""Operations endpoints: liveness, readiness, metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from bastion.crypto import constant_time_equal
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.metrics import render_metrics
from bastion.web.deps import ServicesDep
from bastion.web.openapi import problems

router = APIRouter(tags=["operations"])


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyOut(BaseModel):
    status: Literal["ready"]
    database: Literal["ok"]
    redis: Literal["ok"] | None = Field(None, description="Present when Redis is configured")


@router.get("/healthz", response_model=HealthOut)
def healthz() -> dict[str, str]:
    """Alive: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyOut, response_model_exclude_none=True, responses=problems(503))
def readyz(services: ServicesDep) -> dict[str, str]:
    """Ready: the database answers, and Redis too when configured."""
    try:
        services.db.ping()
    except Exception as error:
        raise BastionError(Reason.SERVICE_UNAVAILABLE, detail=_("The database is not reachable.")) from error
    answer = {"status": "ready", "database": "ok"}
    primary = getattr(services.throttle.store, "primary", None)
    if primary is not None:
        try:
            primary.ping()
        except Exception as error:
            raise BastionError(Reason.SERVICE_UNAVAILABLE, detail=_("Redis is not reachable.")) from error
        answer["redis"] = "ok"
    return answer


@router.get("/metrics", include_in_schema=True, response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
                       **problems(403, 404)})
def metrics(request: Request, services: ServicesDep) -> Response:
    """Prometheus metrics, to a scraper sending `Authorization: Bearer <BASTION_METRICS_TOKEN>`; without
    that setting they are not served here (BASTION_METRICS_LISTEN gives them a listener of their own)."""
    token = services.settings.metrics_token
    if token is None:
        raise BastionError(Reason.RESOURCE_NOT_FOUND)
    scheme, _space, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_equal(presented.strip(), token.get_secret_value()):
        raise BastionError(Reason.PERMISSION_DENIED, detail=_("Metrics are served to scrapers with the metrics token."))
    services.hash_gate.publish()
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
