"""The reason-code catalogue — the one place every refusal is defined.

Each reason carries its HTTP status, a plain message for a stressed person,
ordered recovery steps, the action that fixes it (a page and, for apps, an
endpoint), the guided troubleshooter's page for it, and whether it may be shown
before the first factor succeeds (`pre_auth`: an answer that cannot reveal
whether an account exists). A code is never reused for another meaning.
tests/help/test_every_reason.py provokes every code here through the HTTP app.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

PROBLEM_TYPE_BASE = "https://bastion.dev/problems/"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True, slots=True)
class Action:
    """What fixes a refusal: a page a person can open (`href`, relative to Bastion's public URL)
    and, for apps, the endpoint that does the same (`endpoint`, "METHOD /path")."""

    label: str
    href: str
    endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
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
SIGN_IN = Action("Sign in again", "/login", "POST /v1/login")
RESET = Action("Set a new password", "/password-reset", "POST /v1/password-reset")
STATUS = Action("See the service status", "/status", "GET /v1/status")
SECURITY = Action("Open your security settings", "/security", "GET /v1/me/mfa")
SUPPORT = Action("Contact support with the reference", f"{HELP_PATH}/contact")
RESEND = Action("Get a new email", f"{HELP_PATH}/email")
API_REFERENCE = Action("Read the API reference", "/openapi.json", "GET /openapi.json")
SECOND_STEP = "POST /v1/login/{flow_id}/totp"
CASE_REQUEST = Action("Request a 2FA reset", f"{HELP_PATH}/lost-phone#reset", "POST /v1/mfa-reset")
CASE_QUEUE = Action("Back to the case queue", "/support", "GET /v1/support/cases")
ALLOWLIST_RESET = Action("Ask to clear your IP allowlist", "/recovery/allowlist", "POST /v1/allowlist-reset-request")
UPLOAD = Action("Upload the file again", f"{HELP_PATH}/lost-phone#reset", "POST /v1/recovery-cases/{case_id}/documents")

_REASONS = [
    # Sign-in: before the first factor.
    Reason("credentials.invalid", 401, "Email or password is not right",
           "The email or password you entered is not correct.",
           ("Check the email address for typos.",
            "Type the password again; check Caps Lock and the keyboard layout.",
            "If you don't remember it, use \"Forgot password\" to set a new one."),
           action=RESET, topic="forgot-password"),
    Reason("account.locked", 429, "Sign-in paused",
           "Too many wrong attempts for this email, so sign-in is paused for a while.",
           ("Wait until the time shown, then try again.",
            "Sign in from a device you used before: it is not paused.",
            "Reset your password if you don't remember it; that also lifts the pause."),
           action=RESET, topic="locked"),
    Reason("account.password_disabled", 403, "Reset your password to sign in",
           "After very many wrong passwords, signing in with the password is switched off for this email.",
           ("Choose \"Forgot password\" and set a new password; that switches it back on.",
            "Sign in from a device you used before: it still works."),
           action=RESET, topic="locked"),
    Reason("ip.throttled", 429, "Too many attempts from your network",
           "Too many sign-in attempts came from your network, so it is paused for a while.",
           ("Wait until the time shown, then try again.",
            "If you use a VPN or a shared network, switch it off or use another network."),
           action=Action("See when you can try again", f"{HELP_PATH}/locked"), topic="locked"),
    Reason("rate_limited", 429, "Too many requests",
           "Too many requests in a short time.",
           ("Wait until the time shown, then try again.",
            "If an email is on its way, give it a few minutes and check the spam folder."),
           action=Action("Check whether an email is already on its way", f"{HELP_PATH}/email"), topic="email"),
    Reason("flow.expired", 410, "This sign-in has expired",
           "This sign-in took too long and has expired.",
           ("Start signing in again from the beginning.",), pre_auth=False, action=SIGN_IN),
    Reason("flow.not_found", 404, "Sign-in not found",
           "This sign-in does not exist or was already finished.",
           ("Start signing in again from the beginning, on this device.",), action=SIGN_IN),
    Reason("service.maintenance", 503, "Down for maintenance",
           "Sign-in is paused for scheduled maintenance.",
           ("Try again when the maintenance ends (time shown).",
            "Check the status page for updates."), action=STATUS, topic="maintenance"),
    Reason("service.unavailable", 503, "Temporarily unavailable",
           "The service is temporarily unavailable.",
           ("Try again in a minute.", "Check the status page for updates."), action=STATUS, topic="maintenance"),
    Reason("client.outdated", 426, "Update the app",
           "This version of the app is too old to sign in.",
           ("Update the app from the official store (or the update link shown), then sign in again.",
            "Installed it from somewhere else? Remove it and install it from the official store."),
           action=Action("See the app versions and update links", "/status", "GET /v1/status"), topic="app-update"),
    Reason("browser.cookies_blocked", 400, "Cookies are blocked",
           "Your browser did not keep the sign-in cookie, so sign-in cannot finish.",
           ("Allow cookies for this site in your browser settings.",
            "Leave private or incognito mode, or try another browser.",
            "Then open the sign-in page again."),
           action=Action("Check your browser now", f"{HELP_PATH}/browser"), topic="browser"),
    # After the first factor: safe to be specific.
    Reason("account.email_unverified", 403, "Confirm your email first",
           "Your email address is not confirmed yet.",
           ("Open the confirmation email we sent you and follow its link.",
            "Not there? Check the spam folder, then have a new link sent to you."), pre_auth=False,
           action=Action("Send the confirmation email again", f"{HELP_PATH}/email",
                         "POST /v1/accounts/resend-verification"), topic="email"),
    Reason("account.frozen", 403, "Account frozen",
           "This account is frozen for its protection, so nobody can sign in.",
           ("Ask to unfreeze it: we email you a link to upload your ID.",
            "Support checks your identity, then lifts the freeze (for your safety, not in the first hours "
            "after it)."),
           pre_auth=False, action=Action("Ask to unfreeze your account", f"{HELP_PATH}/restricted#frozen",
                                         "POST /v1/unfreeze-request"), topic="restricted"),
    Reason("account.suspended", 403, "Account suspended",
           "This account is suspended.",
           ("Contact support with the reference below to learn why and what is needed.",), pre_auth=False,
           action=SUPPORT, topic="restricted"),
    Reason("account.banned", 403, "Account temporarily banned",
           "This account is temporarily banned from signing in.",
           ("Wait until the time shown.", "Contact support with the reference below."),
           pre_auth=False, action=SUPPORT, topic="restricted"),
    Reason("account.ip_not_allowed", 403, "Network not on your allowlist",
           "Your account only allows sign-in from the networks on its IP allowlist.",
           ("Sign in from a network on your allowlist (switch off any VPN).",
            "Can't reach any of them any more? Ask to clear the allowlist with your email and password: "
            "it works from here, and support clears it after checking your identity."),
           pre_auth=False, action=ALLOWLIST_RESET, topic="restricted"),
    Reason("risk.denied", 403, "Sign-in blocked for your safety",
           "This sign-in looks unusual, so it was blocked.",
           ("Turn off any VPN or proxy and try again.",
            "Sign in from a device you used before.",
            "Contact support with the reference below."), pre_auth=False,
           action=Action("See why and what to do", f"{HELP_PATH}/new-device"), topic="new-device"),
    Reason("mfa.required", 401, "Second step needed",
           "This sign-in waits for your second step: finish that first.",
           ("Enter the code from your authenticator app, use a passkey or a backup code.",),
           pre_auth=False, action=Action("Finish the second step", "/login", SECOND_STEP), topic="authenticator"),
    Reason("mfa.code_invalid", 401, "Code not accepted",
           "That authenticator code is not right.",
           ("Enter the newest code shown in your authenticator app for this account.",
            "Check that the app entry is the one for this site and this email.",
            "No access to the app? Use a backup code."), pre_auth=False,
           action=Action("Use a backup code instead", f"{HELP_PATH}/lost-phone",
                         "POST /v1/login/{flow_id}/backup-code"), topic="authenticator"),
    Reason("mfa.code_reused", 401, "Code already used",
           "That code was already used. Each code works once.",
           ("Wait for the next code in your authenticator app and enter it.",
            "If you did not use it, someone may know your password: change it."), pre_auth=False,
           action=Action("Enter the next code", f"{HELP_PATH}/authenticator", SECOND_STEP), topic="authenticator"),
    Reason("mfa.clock_skew", 401, "Your phone's clock is off",
           "The code matches a different time: your phone's clock is wrong.",
           ("Set the phone's date and time to automatic.",
            "Then enter the newest code from the app."), pre_auth=False,
           action=Action("Fix the phone's clock", f"{HELP_PATH}/authenticator#clock", SECOND_STEP),
           topic="authenticator"),
    Reason("mfa.backup_code_invalid", 401, "Backup code not accepted",
           "That backup code is not right or was already used.",
           ("Check the code for typos; each backup code works once.",
            "No codes left? Request a 2FA reset."), pre_auth=False,
           action=Action("Request a 2FA reset", f"{HELP_PATH}/lost-phone", "POST /v1/mfa-reset"), topic="lost-phone"),
    Reason("mfa.attempts_exceeded", 429, "Too many tries for this sign-in",
           "There were too many wrong second-step attempts, so this sign-in was cancelled.",
           ("Start signing in again from the beginning.",
            "Use the newest code from your authenticator app, a passkey or a backup code."), pre_auth=False,
           action=SIGN_IN, topic="authenticator"),
    Reason("mfa.locked", 429, "Second step paused",
           "Too many wrong second-step attempts on this account, so they are paused for a while.",
           ("Wait until the time shown, then sign in again.",
            "If these attempts were not yours, someone knows your password: change it."), pre_auth=False,
           action=Action("See when the pause ends", f"{HELP_PATH}/locked"), topic="locked"),
    Reason("mfa.method_unavailable", 400, "Not set up for this account",
           "That second-step method is not set up on this account.",
           ("Use one of the methods offered for this sign-in.",), pre_auth=False,
           action=Action("Choose another method", f"{HELP_PATH}/lost-phone"), topic="lost-phone"),
    Reason("mfa.already_enrolled", 409, "Authenticator app already set up",
           "An authenticator app is already set up for this account.",
           ("Remove the current one in your security settings first, then set up the new one.",), pre_auth=False,
           action=Action("Open your security settings", "/security", "DELETE /v1/me/totp")),
    Reason("mfa.staff_enrolment_link_required", 403, "Staff enrolment link needed",
           "This account has a support or admin role, so its first second factor can only be set up from the "
           "one-time enrolment link emailed to it.",
           ("Use the enrolment link emailed to you: open it while signed in, then set up your authenticator app "
            "or passkey.",
            "Link lost or expired? Ask an administrator to send a new one."), pre_auth=False,
           action=Action("Open your security settings", "/security/two-factor", "POST /v1/me/staff-enrolment")),
    Reason("mfa.setup_required", 409, "Start the setup again",
           "There is no authenticator setup in progress, or it took too long and expired.",
           ("Start setting up the authenticator app again and scan the new QR code.",), pre_auth=False,
           action=Action("Start the setup again", "/security", "POST /v1/me/totp/setup")),
    Reason("device.verification_required", 401, "Confirm this device",
           "This device is new, so we emailed you a code to confirm it is you.",
           ("Open the email we sent you and enter its code here.",
            "No email after a few minutes? Check the spam folder, then have a new code sent."), pre_auth=False,
           action=Action("Enter the emailed code", f"{HELP_PATH}/new-device", "POST /v1/login/{flow_id}/device"),
           topic="new-device"),
    Reason("passkey.invalid", 401, "Passkey not accepted",
           "That passkey could not be checked, or it is not registered for this sign-in.",
           ("Try again and choose the passkey you registered for this site.",
            "Or sign in with your email and password."), action=SIGN_IN),
    Reason("passkey.user_not_verified", 401, "Confirm it's you on the device",
           "Signing in with only a passkey needs the device to confirm it's you (screen lock, PIN, "
           "fingerprint or face), and it did not.",
           ("Turn on a screen lock or PIN on the device, then try again.",
            "Or sign in with your email and password."), pre_auth=False, action=SIGN_IN),
    Reason("passkey.cloned", 403, "Passkey refused: it may have been copied",
           "This passkey reported fewer uses than we have already seen, a sign that it was copied. "
           "It was refused for your protection.",
           ("Sign in with another method and remove this passkey in your security settings.",
            "If you did not copy it, change your password and review your sign-in activity."), pre_auth=False,
           action=Action("Review your passkeys", "/security", "GET /v1/me/passkeys"), topic="someone-else"),
    Reason("passkey.registration_failed", 400, "Passkey not added",
           "The passkey could not be added: the device's answer was not valid or came too late.",
           ("Try adding the passkey again.", "If it keeps failing, try another device or browser."),
           pre_auth=False, action=Action("Try adding it again", "/security", "POST /v1/me/passkeys/options")),
    Reason("device.verification_expired", 410, "Device code expired",
           "The device confirmation code expired or was replaced by a newer one.",
           ("Use the code from the newest \"Confirm it's you\" email.",
            "Or start signing in again to get a new code."), pre_auth=False, action=SIGN_IN, topic="new-device"),
    Reason("device.code_invalid", 401, "Device code not accepted",
           "That is not the code we emailed for this sign-in.",
           ("Enter the 6-digit code from the newest \"Confirm it's you\" email.",
            "Or open the link in that email on this device."), pre_auth=False,
           action=Action("Have a new code sent", f"{HELP_PATH}/new-device", "POST /v1/login/{flow_id}/device/resend"),
           topic="new-device"),
    Reason("device.attempts_exceeded", 429, "Too many tries for this code",
           "There were too many wrong device codes, so this sign-in was cancelled.",
           ("Start signing in again to get a new code.",
            "If you did not try to sign in, someone knows your password: change it."), pre_auth=False,
           action=SIGN_IN, topic="new-device"),
    Reason("device.locked", 429, "Device confirmation paused",
           "There were too many wrong codes from our \"Confirm it's you\" emails on this account, so confirming a "
           "new device is paused for a while.",
           ("Wait until the time shown, then sign in again and use the code from the newest email.",
            "Sign in from a device you used before: it needs no code.",
            "If you did not try to sign in, someone knows your password: change it."), pre_auth=False,
           action=Action("See when the pause ends", f"{HELP_PATH}/locked"), topic="locked"),
    # Sessions.
    Reason("session.required", 401, "Sign in first",
           "You need to sign in to do this.", ("Sign in, then try again.",), action=SIGN_IN),
    Reason("session.invalid", 401, "Not signed in",
           "Your sign-in is not recognised.", ("Sign in again.",), action=SIGN_IN, topic="signed-out"),
    Reason("session.expired", 401, "Signed out",
           "You were signed out because of inactivity or after the maximum session time.",
           ("Sign in again.", "On a device that is yours alone, tick \"Keep me signed in\"."),
           action=SIGN_IN, topic="signed-out"),
    Reason("session.revoked", 401, "Signed out",
           "This session was ended, from your security settings or for your protection.",
           ("Sign in again.",
            "If you did not end it, review your sign-in activity and change your password."),
           action=SIGN_IN, topic="someone-else"),
    Reason("reauth.required", 403, "Confirm it's you",
           "This change needs you to confirm your password again.",
           ("Enter your password (or second factor) to confirm, then repeat the change.",),
           pre_auth=False, action=Action("Confirm it's you", "/security", "POST /v1/reauth")),
    Reason("reauth.failed", 401, "Password not accepted",
           "That password is not correct, so the change was not made.",
           ("Type your password again; check Caps Lock and the keyboard layout.",
            "Forgot it? Sign out and choose \"Forgot password\" on the sign-in page."), pre_auth=False,
           action=RESET, topic="forgot-password"),
    Reason("csrf.invalid", 403, "Page expired",
           "The form expired or came from another site.",
           ("Reload the page and try again.",
            "If it keeps happening, check that your browser keeps cookies for this site."),
           action=Action("Check your browser", f"{HELP_PATH}/browser"), topic="browser"),
    Reason("permission.denied", 403, "Not allowed",
           "Your account is not allowed to do this.", ("Ask an administrator.",),
           action=Action("Back to your account", "/", "GET /v1/session")),
    Reason("service_key.invalid", 401, "Service key not accepted",
           "The service key is missing, unknown or revoked.",
           ("Check the key in your platform's configuration.",
            "Create a new one with `bastion service-key create` if needed."), action=API_REFERENCE),
    Reason("permission.mfa_required", 403, "Two-step sign-in required for staff",
           "Support and admin work needs a session signed in with a second factor.",
           ("Set up an authenticator app or a passkey in your security center.",
            "Sign out, then sign in again with the second step."), pre_auth=False,
           action=Action("Set up two-step sign-in", "/security", "POST /v1/me/totp/setup")),
    # Recovery cases (2FA reset, unfreeze) and identity documents.
    Reason("case.closed", 409, "This request is closed",
           "This recovery request is finished, cancelled or rejected, so it can no longer change.",
           ("Check the latest email about it.", "Start a new request if you still need one."),
           action=CASE_REQUEST, topic="lost-phone"),
    Reason("case.not_ready", 409, "Not ready for this step",
           "This recovery request is not at the step this action needs.",
           ("Check the request's status: documents may still be missing.",),
           action=Action("Check the request", f"{HELP_PATH}/lost-phone#reset", "GET /v1/recovery-cases/{case_id}"),
           topic="lost-phone"),
    Reason("case.already_approved", 409, "Already approved by you",
           "You already approved this request; a second approval must come from another agent.",
           ("Ask another agent to review the request.",), pre_auth=False, action=CASE_QUEUE),
    Reason("case.own_account", 403, "Not your own request",
           "Staff cannot decide recovery requests for their own account.",
           ("Ask another agent to review it.",), pre_auth=False, action=CASE_QUEUE),
    Reason("support.own_account", 403, "Not your own account",
           "Staff cannot handle their own account at the support desk.",
           ("Ask another agent to handle it.",), pre_auth=False, action=CASE_QUEUE),
    Reason("support.staff_account", 403, "A staff account: an admin's to handle",
           "This account belongs to a member of staff; only an administrator may handle it.",
           ("Ask an administrator to handle it.",), pre_auth=False, action=CASE_QUEUE),
    Reason("case.documents_changed", 409, "The documents changed",
           "A document of this case was replaced after you opened it: your approval would cover files you did "
           "not see.", ("Open the case again and review the new documents.",), pre_auth=False, action=CASE_QUEUE),
    Reason("case.claimed", 409, "Another agent is working on this case",
           "Another agent claimed this case: only they decide it until it is released.",
           ("Pick another case from the queue.", "Ask the agent, or an admin, to release it if it is stuck."),
           pre_auth=False, action=CASE_QUEUE),
    Reason("evidence.unsupported_type", 415, "File type not accepted",
           "Upload a photo (JPEG or PNG) or a PDF. The file's content is checked, not its name.",
           ("Take a photo with your phone's camera app and upload that file.",
            "Scanned documents can be saved as PDF."), action=UPLOAD, topic="lost-phone"),
    Reason("evidence.too_large", 413, "File too large",
           "Each file may be at most 10 MB.",
           ("Take the photo at a lower resolution, or save the scan with more compression.",),
           action=UPLOAD, topic="lost-phone"),
    Reason("evidence.empty", 422, "Empty file",
           "The file you sent is empty.", ("Choose the file again and upload it.",), action=UPLOAD, topic="lost-phone"),
    Reason("evidence.unreadable", 422, "File can't be read",
           "The file is damaged, or it expands to far more than its size (such files are refused for safety).",
           ("Open the file on your device to check it shows correctly.",
            "Take a new photo or scan and upload that instead."), action=UPLOAD, topic="lost-phone"),
    Reason("evidence.too_complex", 422, "File too complex to check",
           "This file has far more parts than a photo or a scan of a document, so it can't be checked safely.",
           ("Take a photo of the document with your phone's camera app and upload that.",
            "For a scan, save just the pages needed as a new PDF or as a JPEG image."),
           action=UPLOAD, topic="lost-phone"),
    # Passwords and tokens.
    Reason("password.weak", 422, "Choose a stronger password",
           "That password is too easy to guess.",
           ("Use at least 12 characters; a few unrelated words work well.",
            "Don't include your email address or name."),
           action=Action("How to choose a strong password", f"{HELP_PATH}/forgot-password#strong"),
           topic="forgot-password"),
    Reason("password.breached", 422, "Password too common",
           "That password is on the list of passwords attackers try first.",
           ("Choose a password you don't use anywhere else.",),
           action=Action("How to choose a strong password", f"{HELP_PATH}/forgot-password#strong"),
           topic="forgot-password"),
    Reason("token.invalid", 400, "Link not valid",
           "This link or code is not valid, or it was already used.",
           ("Use the newest email we sent you.", "Request a new link if needed."), action=RESEND, topic="email"),
    Reason("token.expired", 410, "Link expired",
           "This link or code has expired.", ("Request a new one.",), action=RESEND, topic="email"),
    Reason("signup.password_required", 401, "Type your password to confirm",
           "This email address was signed up more than once, so confirming it needs the password chosen at "
           "sign-up.",
           ("Type the password you chose when you signed up, then confirm.",
            "Signed up only once? Someone else tried to sign up with your address: your password decides that "
            "the account is yours."), pre_auth=False, action=RESEND, topic="email"),
    Reason("signup.password_mismatch", 401, "This link is for another sign-up",
           "This link belongs to a sign-up of your address made with a different password, so it was not "
           "confirmed.",
           ("Use the link in our other email: each email says when and from where its sign-up came.",
            "Or type the password of the sign-up this link belongs to.",
            "Signed up only once? The other sign-up was not yours: don't use its link."),
           pre_auth=False, action=RESEND, topic="email"),
    # Signing in to the platform's apps (OpenID Connect).
    Reason("oauth.invalid_request", 400, "The app's sign-in link is not valid",
           "The app that sent you here asked for something Bastion cannot do, so you were not sent back to it.",
           ("Go back to the app and start signing in again.",
            "If it keeps happening, tell the app's support: the app's setup needs fixing (reference below)."),
           action=Action("Get help signing in", HELP_PATH)),
    Reason("oauth.request_expired", 410, "This sign-in to the app has expired",
           "This sign-in for an app took too long, was already finished, or was started in another browser.",
           ("Go back to the app and start signing in again.",), action=Action("Get help signing in", HELP_PATH)),
    # Help.
    Reason("help.reference_not_found", 404, "Reference not found",
           "There is no refusal with this reference.",
           ("Check the reference: R- followed by 8 letters and digits, as shown with the refusal.",
            "Still not found? Contact support and tell them when it happened."),
           action=Action("Get help signing in", HELP_PATH, "GET /v1/help/reasons")),
    # Requests.
    Reason("request.invalid", 422, "Request not understood",
           "Some of the information sent is missing or not in the right form.",
           ("Check the fields named in the details and try again.",), action=API_REFERENCE),
    Reason("request.too_large", 413, "Too large", "The request is too large.",
           ("Send a smaller request.",), action=API_REFERENCE),
    Reason("resource.not_found", 404, "Not found", "There is nothing here.",
           ("Check the address.",), action=Action("Go to the start page", "/")),
    Reason("request.method_not_allowed", 405, "Not allowed here",
           "This address does not accept that kind of request.", ("Check the API reference.",),
           action=API_REFERENCE),
    Reason("internal.error", 500, "Something went wrong on our side",
           "Something went wrong on our side. Nothing you did caused it.",
           ("Try again in a minute.", "If it keeps happening, contact support with the reference."),
           action=STATUS, topic="maintenance"),
]

CATALOGUE: dict[str, Reason] = {reason.code: reason for reason in _REASONS}
assert len(CATALOGUE) == len(_REASONS), "duplicate reason code"


def reason(code: str) -> Reason:
    return CATALOGUE[code]


def action_body(action: Action) -> dict[str, str]:
    body = {"label": action.label, "href": action.href}
    if action.endpoint:
        body["endpoint"] = action.endpoint
    return body


def new_reference() -> str:
    """A refusal's reference: 'R-' and 8 Crockford base-32 characters (40 random bits)."""
    return "R-" + "".join(secrets.choice(_CROCKFORD) for _ in range(8))


@dataclass
class BastionError(Exception):
    """The one domain exception: a reason code and what the person needs to know."""

    code: str
    detail: str | None = None
    retry_after: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Set when the refusal was already recorded (e.g. with a sign-in attempt).
    reference: str | None = None
    # Facts to record with the refusal (e.g. the risk signals); never part of the answer.
    record: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOGUE:
            raise KeyError(f"unknown reason code {self.code!r}")
        super().__init__(self.code)

    @property
    def reason(self) -> Reason:
        return CATALOGUE[self.code]

    def problem(self, reference: str) -> dict[str, Any]:
        """The RFC 9457 body."""
        reason = self.reason
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE_BASE + reason.code,
            "title": reason.title,
            "status": reason.status,
            "detail": self.detail or reason.message,
            "code": reason.code,
            "reference": reference,
            "help": list(reason.steps),
            "help_url": reason.help_url,
        }
        if reason.action is not None:
            body["action"] = action_body(reason.action)
        if self.retry_after is not None:
            body["retry_after"] = self.retry_after
        body.update(self.extra)
        return body
