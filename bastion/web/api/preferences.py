"""The signed-in account's language and time zone: `GET` and `PATCH /v1/me/preferences`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from bastion.accounts.preferences import preferences_of, save_preferences
from bastion.web.api.schemas import Body
from bastion.web.deps import ServicesDep, SessionDep
from bastion.web.openapi import problems

router = APIRouter(prefix="/v1", tags=["me"], responses=problems(401, 403, 503))


class PreferencesOut(BaseModel):
    language: str | None = Field(description="BCP 47 tag of a shipped language (en, es, zh-Hans, ar); "
                                             "null: the browser's Accept-Language")
    time_zone: str | None = Field(description="IANA time zone, e.g. Europe/Madrid; null: the browser's, else UTC")


class PreferencesIn(Body):
    """Only the fields sent change; null clears one."""

    language: Annotated[str, StringConstraints(max_length=35)] | None = None
    time_zone: Annotated[str, StringConstraints(max_length=64)] | None = None


@router.get("/me/preferences", response_model=PreferencesOut)
def my_preferences(session: SessionDep, services: ServicesDep) -> PreferencesOut:
    saved = preferences_of(services, session.account_id)
    return PreferencesOut(language=saved.language, time_zone=saved.time_zone)


@router.patch("/me/preferences", response_model=PreferencesOut, responses=problems(422))
def change_preferences(body: PreferencesIn, session: SessionDep, services: ServicesDep) -> PreferencesOut:
    """Pages (where the browser made no choice) and every email use them; an unknown language or
    zone is `request.invalid`, the field named."""
    saved = save_preferences(services, session.account_id,
                             {name: getattr(body, name) for name in body.model_fields_set})
    return PreferencesOut(language=saved.language, time_zone=saved.time_zone)
