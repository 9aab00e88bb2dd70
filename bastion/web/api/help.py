"""Help: the reason catalogue, what a refusal was (by its reference), the service's own
diagnoses, and "send the email again"."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path
from pydantic import BaseModel, Field

from bastion.catalogue import CATALOGUE, ReasonEntry
from bastion.errors import PROBLEM_TYPE_BASE, action_body
from bastion.help import diagnoses
from bastion.help.references import Explanation, explain_reference
from bastion.help.resend import resend_device_code, start_resend_password_reset, start_resend_verification
from bastion.i18n import _
from bastion.web.api.schemas import Body, FlowOut, StatusOut
from bastion.web.deps import ClientDep, ServicesDep
from bastion.web.inputs import Email, EntityId, RefusalReference
from bastion.web.openapi import problems
from bastion.web.problem_body import ActionOut

router = APIRouter(prefix="/v1", tags=["help"])
ReferenceText = Annotated[RefusalReference, Path(description="As shown with the refusal, e.g. R-7F3K9Q2M")]


class ReasonOut(BaseModel):
    code: str
    type: str
    status: int
    title: str
    message: str
    steps: list[str] = Field(description="What to do, in order")
    action: ActionOut | None = Field(description="What fixes it: a page, and for apps the endpoint")
    help_url: str = Field(description="The guided troubleshooter's page for it")
    pre_auth: bool = Field(description="May be answered before the first factor (says nothing about the account)")


class ReasonsOut(BaseModel):
    reasons: list[ReasonOut]


class ReferenceOut(ReasonOut):
    reference: str
    occurred_at: datetime
    in_effect_until: datetime | None = Field(
        None, description="Live: when the pause, maintenance or ban that caused it ends, while it lasts")


def reason_out(reason: ReasonEntry) -> dict[str, Any]:
    return dict(code=reason.code, type=PROBLEM_TYPE_BASE + reason.code, status=reason.status, title=_(reason.title),
                message=_(reason.message), steps=[_(step) for step in reason.steps],
                action=dict(action_body(reason.action), label=_(reason.action.label)) if reason.action else None,
                help_url=reason.help_url, pre_auth=reason.pre_auth)


def reference_out(explanation: Explanation) -> dict[str, Any]:
    return dict(reason_out(explanation.reason), reference=explanation.reference,
                occurred_at=explanation.occurred_at, in_effect_until=explanation.in_effect_until)


@router.get("/help/reasons", response_model=ReasonsOut)
def reasons() -> ReasonsOut:
    """The whole reason catalogue: every `code` a refusal can carry, with its status, message, steps and action."""
    return ReasonsOut(reasons=[ReasonOut(**reason_out(reason)) for reason in CATALOGUE.values()])


@router.get("/help/references/{reference}", response_model=ReferenceOut, responses=problems(404, 422))
def reference(reference: ReferenceText, services: ServicesDep) -> ReferenceOut:
    """What a refusal was: its reason, when, the steps, and — live — when what caused it ends.

    Nothing about the account: no email, IP or device.
    """
    return ReferenceOut(**reference_out(explain_reference(services, reference)))


class MaintenanceWindowOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    message: str


class BrowserOut(BaseModel):
    name: str | None
    version: int | None
    minimum_version: int | None
    outdated: bool


class AppOut(BaseModel):
    platform: str | None
    version: str | None
    outdated: bool
    minimum_version: str | None
    update_available: bool
    update_url: str | None


class DiagnosisOut(BaseModel):
    server_time: datetime = Field(description="Set a phone's clock by it: authenticator codes depend on the time")
    maintenance_now: MaintenanceWindowOut | None
    maintenance_next: MaintenanceWindowOut | None
    app: AppOut = Field(description="From X-Client-Platform and X-Client-Version, as sign-in would judge them")
    browser: BrowserOut = Field(description="From the User-Agent")


def _window(window: Any) -> MaintenanceWindowOut | None:
    if window is None:
        return None
    return MaintenanceWindowOut(starts_at=window.starts_at, ends_at=window.ends_at, message=window.shown_message)


@router.get("/help/diagnosis", response_model=DiagnosisOut)
def diagnosis(services: ServicesDep, client: ClientDep) -> DiagnosisOut:
    """What the service can tell about this client and itself right now, without signing in."""
    maintenance = diagnoses.maintenance(services)
    app = diagnoses.check_app(services, client)
    browser = diagnoses.check_browser(client.user_agent)
    return DiagnosisOut(
        server_time=diagnoses.server_time(services),
        maintenance_now=_window(maintenance.now), maintenance_next=_window(maintenance.next),
        app=AppOut(platform=app.platform, version=app.version, outdated=app.outdated,
                   minimum_version=app.minimum_version, update_available=app.update_available,
                   update_url=app.update_url),
        browser=BrowserOut(name=browser.name, version=browser.version, minimum_version=browser.minimum,
                           outdated=browser.outdated),
    )


class EmailIn(Body):
    email: Email


class ResentFlowOut(BaseModel):
    status: str
    flow: FlowOut
    code_expires_at: datetime


@router.post("/accounts/resend-verification", status_code=202, response_model=StatusOut, tags=["accounts"],
             responses=problems(422, 429))
def resend_confirmation(body: EmailIn, services: ServicesDep, client: ClientDep, after: BackgroundTasks) -> StatusOut:
    """Send the sign-up confirmation link again (one a minute per address). The same answer whether or not
    the address has an account waiting for confirmation; older links stop working."""
    after.add_task(start_resend_verification(services, body.email, client))  # answered before the look-up
    return StatusOut(status="verification_sent")


@router.post("/password-reset/resend", status_code=202, response_model=StatusOut, tags=["recovery"],
             responses=problems(422, 429))
def resend_reset(body: EmailIn, services: ServicesDep, client: ClientDep, after: BackgroundTasks) -> StatusOut:
    """Send the password-reset link again (one a minute per address). The same answer whether or not the
    address has an account; older links stop working."""
    after.add_task(start_resend_password_reset(services, body.email, client))  # answered before the look-up
    return StatusOut(status="reset_email_sent")


@router.post("/login/{flow_id}/device/resend", status_code=202, response_model=ResentFlowOut, tags=["sign-in"],
             responses=problems(401, 404, 410, 422, 429))
def resend_device(flow_id: EntityId, services: ServicesDep,
                  client: ClientDep) -> ResentFlowOut:
    """Send the "Confirm it's you" code again for a sign-in waiting for it (one a minute), from the device
    that started it. The older code stops working."""
    resent = resend_device_code(services, flow_id, client)
    return ResentFlowOut(status="device_code_sent", flow=FlowOut(id=resent.flow_id, expires_at=resent.flow_expires_at),
                         code_expires_at=resent.code_expires_at)
