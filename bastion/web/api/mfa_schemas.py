"""Request and answer bodies of the second-factor endpoints (OpenAPI is generated from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bastion.web.api.schemas import Body, FlowOut
from bastion.web.inputs import MethodName, OneTimeCode, PasskeyName, Password

Credential = Annotated[dict[str, Any], Field(description="The PublicKeyCredential as JSON (`credential.toJSON()`).")]


class CodeIn(Body):
    code: OneTimeCode


class TotpSetupOut(BaseModel):
    secret: str = Field(description="Base32; shown this once. Type it in if the QR code cannot be scanned.")
    otpauth_uri: str
    qr_svg: str = Field(description="The otpauth URI as a QR code, an SVG document.")


class BackupCodesOut(BaseModel):
    backup_codes: list[str] = Field(description="10 single-use codes, shown this once.")


class TotpStatusOut(BaseModel):
    enabled: bool
    confirmed_at: datetime | None = None
    last_used_at: datetime | None = None


class BackupCodeStatusOut(BaseModel):
    remaining: int
    total: int
    created_at: datetime


class MfaOut(BaseModel):
    """The enrolled second factors — never a secret or a code."""

    enabled: bool
    methods: list[str]
    totp: TotpStatusOut
    passkeys: int
    backup_codes: BackupCodeStatusOut | None


class PasskeyOptionsOut(BaseModel):
    public_key: dict[str, Any] = Field(serialization_alias="publicKey",
                                       description="For PublicKeyCredential.parse…OptionsFromJSON.")
    flow: FlowOut | None = None


class SecondStepIn(Body):
    """The proof of the method the path names: `code`, or the passkey's `credential`."""

    code: OneTimeCode | None = None
    credential: Credential | None = None


class PasskeyRegisterIn(Body):
    credential: Credential
    name: PasskeyName = "Passkey"


class PasskeyRenameIn(Body):
    name: PasskeyName


class PasswordlessIn(Body):
    credential: Credential
    remember_device: bool = False


class PasskeyOut(BaseModel):
    # Read from the passkey's record: these fields are all the owner sees of it (never its key).
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    backed_up: bool
    transports: list[str]


class PasskeyRegisteredOut(BaseModel):
    passkey: PasskeyOut
    backup_codes: list[str] | None = Field(None, description="Only with the account's first second factor.")


class PasskeyListOut(BaseModel):
    passkeys: list[PasskeyOut]


class StepUpIn(Body):
    """Exactly one proof: the password, a current authenticator code, a backup code — or, for any
    second-factor method, `method` with its `code`."""

    password: Password | None = None
    totp: OneTimeCode | None = None
    backup_code: OneTimeCode | None = None
    method: MethodName | None = None
    code: OneTimeCode | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> StepUpIn:
        proofs = (self.password, self.totp, self.backup_code, self.method)
        if sum(value is not None for value in proofs) != 1 or (self.method is None) != (self.code is None):
            raise ValueError("send exactly one of password, totp, backup_code, or method with code")
        return self

    def factor_proof(self) -> tuple[str, str]:
        """The second-factor method and its code (when the proof is not the password)."""
        if self.totp is not None:
            return "totp", self.totp
        if self.backup_code is not None:
            return "backup_code", self.backup_code
        if self.method is None or self.code is None:  # `_exactly_one` refused this already
            raise ValueError("send exactly one of password, totp, backup_code, or method with code")
        return self.method, self.code


class StaffEnrolmentOut(BaseModel):
    status: str
    until: datetime = Field(description="This session may set up its first second factor until then.")
