"""Request and answer bodies of the JSON API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bastion.risk.device_list import KnownDevice
from bastion.web.api.answers import answer_model
from bastion.web.inputs import Email, Password, Token


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SignUpIn(Body):
    email: Email
    password: Password


class StatusOut(BaseModel):
    status: str


class TokenIn(Body):
    token: Token


class VerifyEmailIn(TokenIn):
    password: Password | None = None


class PasswordChangeIn(Body):
    current_password: Password
    new_password: Password
    end_other_sessions: bool = True


class LoginIn(Body):
    email: Email
    password: Password
    remember_device: bool = False


class SessionTokenOut(BaseModel):
    token: str
    expires_at: datetime
    idle_expires_at: datetime


class AccountOut(BaseModel):
    id: str
    email: str


class FlowOut(BaseModel):
    id: str
    expires_at: datetime
    methods: list[str] | None = None


class LoginOut(BaseModel):
    status: Literal["authenticated", "mfa_required", "device_verification_required"]
    device_id: str | None = Field(
        None, description="A device identifier issued now: apps store it and send it as X-Device-Id.")
    update_available: dict[str, str] | None = Field(
        None, description="Present when the app is below the recommended version: recommended_version, update_url.")
    session: SessionTokenOut | None = None
    account: AccountOut | None = None
    flow: FlowOut | None = None


class SessionOut(BaseModel):
    id: str
    created_at: datetime
    expires_at: datetime
    idle_expires_at: datetime
    authenticated_at: datetime
    aal: int


class Restriction(BaseModel):
    """Something the platform must enforce, e.g. kind "withdrawal" until a time after a password reset."""

    kind: str
    reason: str | None = None
    until: datetime | None = None


class WhoAmIOut(BaseModel):
    account: AccountOut
    session: SessionOut
    restrictions: list[Restriction]
    csrf_token: str = Field(description="Send as X-CSRF-Token on unsafe requests authenticated by the cookie.")


class SessionListItem(BaseModel):
    id: str
    current: bool
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    remember: bool
    device: str = Field(description="In words, e.g. 'Chrome on macOS'")
    location: str = Field(description="Approximate location of the IP in words, e.g. 'Germany'")


class SessionListOut(BaseModel):
    sessions: list[SessionListItem]


class RevokedOut(BaseModel):
    revoked: int


class ActivityItem(BaseModel):
    time: datetime
    outcome: str
    code: str | None
    reference: str | None
    method: str
    ip: str | None
    location: str | None
    device: str | None


DeviceOut = answer_model(KnownDevice, "DeviceOut", {
    "device": "In words, e.g. 'Chrome on macOS'",
    "location": "Last approximate location in words, e.g. 'Germany'",
    "country": "ISO 3166-1 alpha-2 of the last location",
    "trusted_until": "Set while the device is remembered (trusted)",
})


class DeviceListOut(BaseModel):
    devices: list[DeviceOut]  # type: ignore[valid-type]


class ActivityOut(BaseModel):
    items: list[ActivityItem]
    next_cursor: str | None = Field(None, description="Pass as `before` to get the next page.")


class AntiPhishingIn(Body):
    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{4,20}$")]


class IntrospectIn(Body):
    token: Annotated[str, StringConstraints(max_length=256)]


class IntrospectOut(BaseModel):
    active: bool
    account_id: str | None = None
    session_id: str | None = None
    aal: int | None = None
    restrictions: list[Restriction] = []
    expires_at: datetime | None = None
