"""Refusals of sessions, step-up, forms and staff permissions."""

from __future__ import annotations

from bastion.catalogue.codes import Reason
from bastion.catalogue.entry import API_REFERENCE, HELP_PATH, RESET, SIGN_IN, Action, ReasonEntry

ENTRIES = (
    ReasonEntry(Reason.SESSION_REQUIRED, 401, "Sign in first",
                "You need to sign in to do this.", ("Sign in, then try again.",), action=SIGN_IN),
    ReasonEntry(Reason.SESSION_INVALID, 401, "Not signed in",
                "Your sign-in is not recognised.", ("Sign in again.",), action=SIGN_IN, topic="signed-out"),
    ReasonEntry(Reason.SESSION_EXPIRED, 401, "Signed out",
                "You were signed out because of inactivity or after the maximum session time.",
                ("Sign in again.", "On a device that is yours alone, tick \"Keep me signed in\"."),
                action=SIGN_IN, topic="signed-out"),
    ReasonEntry(Reason.SESSION_REVOKED, 401, "Signed out",
                "This session was ended, from your security settings or for your protection.",
                ("Sign in again.",
                 "If you did not end it, review your sign-in activity and change your password."),
                action=SIGN_IN, topic="someone-else"),
    ReasonEntry(Reason.REAUTH_REQUIRED, 403, "Confirm it's you",
                "This change needs you to confirm your password again.",
                ("Enter your password (or second factor) to confirm, then repeat the change.",),
                pre_auth=False, action=Action("Confirm it's you", "/security", "POST /v1/reauth")),
    ReasonEntry(Reason.REAUTH_FAILED, 401, "Password not accepted",
                "That password is not correct, so the change was not made.",
                ("Type your password again; check Caps Lock and the keyboard layout.",
                 "Forgot it? Sign out and choose \"Forgot password\" on the sign-in page."), pre_auth=False,
                action=RESET, topic="forgot-password"),
    ReasonEntry(Reason.CSRF_INVALID, 403, "Page expired",
                "The form expired or came from another site.",
                ("Reload the page and try again.",
                 "If it keeps happening, check that your browser keeps cookies for this site."),
                action=Action("Check your browser", f"{HELP_PATH}/browser"), topic="browser"),
    ReasonEntry(Reason.PERMISSION_DENIED, 403, "Not allowed",
                "Your account is not allowed to do this.", ("Ask an administrator.",),
                action=Action("Back to your account", "/", "GET /v1/session")),
    ReasonEntry(Reason.SERVICE_KEY_INVALID, 401, "Service key not accepted",
                "The service key is missing, unknown or revoked.",
                ("Check the key in your platform's configuration.",
                 "Create a new one with `bastion service-key create` if needed."), action=API_REFERENCE),
    ReasonEntry(Reason.PERMISSION_MFA_REQUIRED, 403, "Two-step sign-in required for staff",
                "Support and admin work needs a session signed in with a second factor.",
                ("Set up an authenticator app or a passkey in your security center.",
                 "Sign out, then sign in again with the second step."), pre_auth=False,
                action=Action("Set up two-step sign-in", "/security", "POST /v1/me/totp/setup")),
)
