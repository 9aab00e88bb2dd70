"""Operations endpoints: liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from bastion.errors import BastionError
from bastion.web.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(services: ServicesDep) -> dict[str, str]:
    try:
        services.db.ping()
    except Exception as error:
        raise BastionError("service.unavailable", detail="The database is not reachable.") from error
    return {"status": "ready", "database": "ok"}
