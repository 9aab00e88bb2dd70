"""What a catalogue entry says about a refusal, and the actions entries share."""

from __future__ import annotations

from dataclasses import dataclass

from bastion.catalogue.codes import Reason
from bastion.i18n import N_


@dataclass(frozen=True, slots=True)
class Action:
    """What fixes a refusal: a page a person can open (`href`, relative to Bastion's public URL)
    and, for apps, the endpoint that does the same (`endpoint`, "METHOD /path")."""

    label: str
    href: str
    endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class ReasonEntry:
    code: Reason
    status: int
    title: str
    message: str
    steps: tuple[str, ...]
    pre_auth: bool = True
    action: Action | None = None
    # The guided troubleshooter's page for this problem (/help/sign-in/<topic>).
    topic: str | None = None

    @property
    def help_url(self) -> str:
        return f"{HELP_PATH}/{self.topic}" if self.topic else HELP_PATH


HELP_PATH = "/help/sign-in"
SIGN_IN = Action(N_("Sign in again"), "/login", "POST /v1/login")
RESET = Action(N_("Set a new password"), "/password-reset", "POST /v1/password-reset")
STATUS = Action(N_("See the service status"), "/status", "GET /v1/status")
SECURITY = Action(N_("Open your security settings"), "/security", "GET /v1/me/mfa")
SUPPORT = Action(N_("Contact support with the reference"), f"{HELP_PATH}/contact")
RESEND = Action(N_("Get a new email"), f"{HELP_PATH}/email")
API_REFERENCE = Action(N_("Read the API reference"), "/openapi.json", "GET /openapi.json")
SECOND_STEP = "POST /v1/login/{flow_id}/totp"
CASE_REQUEST = Action(N_("Request a 2FA reset"), f"{HELP_PATH}/lost-phone#reset", "POST /v1/mfa-reset")
CASE_QUEUE = Action(N_("Back to the case queue"), "/support", "GET /v1/support/cases")
ALLOWLIST_RESET = Action(N_("Ask to clear your IP allowlist"), "/recovery/allowlist",
                         "POST /v1/allowlist-reset-request")
UPLOAD = Action(N_("Upload the file again"), f"{HELP_PATH}/lost-phone#reset",
                "POST /v1/recovery-cases/{case_id}/documents")
