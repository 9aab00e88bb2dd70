"""Operations endpoints: liveness, readiness, metrics."""

from __future__ import annotations

import ipaddress
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from bastion.errors import BastionError, Reason
from bastion.ops.metrics import render_metrics
from bastion.web.deps import ServicesDep
from bastion.web.openapi import problems

router = APIRouter(tags=["operations"])
# Metrics describe traffic and attacks: served to the local machine only (scrape through it).
_METRICS_FROM = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]


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
        raise BastionError(Reason.SERVICE_UNAVAILABLE, detail="The database is not reachable.") from error
    answer = {"status": "ready", "database": "ok"}
    primary = getattr(services.throttle.store, "primary", None)
    if primary is not None:
        try:
            primary.ping()
        except Exception as error:
            raise BastionError(Reason.SERVICE_UNAVAILABLE, detail="Redis is not reachable.") from error
        answer["redis"] = "ok"
    return answer


@router.get("/metrics", include_in_schema=True, response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
                       **problems(403)})
def metrics(request: Request, services: ServicesDep) -> Response:
    """Prometheus metrics, for scrapers on this machine only."""
    peer = request.client.host if request.client else ""
    try:
        allowed = any(ipaddress.ip_address(peer) in network for network in _METRICS_FROM)
    except ValueError:
        allowed = False
    if not allowed:
        raise BastionError(Reason.PERMISSION_DENIED, detail="Metrics are served to the local machine only.")
    services.hash_gate.publish()
    body, content_type = render_metrics()
    return Response(body, media_type=content_type)
