"""Refusals of sessions, step-up, forms and staff permissions."""

from __future__ import annotations

from bastion.catalogue.codes import Reason
from bastion.catalogue.entry import API_REFERENCE, HELP_PATH, RESET, SIGN_IN, Action, ReasonEntry
from bastion.i18n import N_

ENTRIES = (
    ReasonEntry(Reason.SESSION_REQUIRED, 401, N_("Sign in first"),
                N_("You need to sign in to do this."), (N_("Sign in, then try again."),), action=SIGN_IN),
    ReasonEntry(Reason.SESSION_INVALID, 401, N_("Not signed in"),
                N_("Your sign-in is not recognised."), (N_("Sign in again."),), action=SIGN_IN, topic="signed-out"),
    ReasonEntry(Reason.SESSION_EXPIRED, 401, N_("Signed out"),
                N_("You were signed out because of inactivity or after the maximum session time."),
                (N_("Sign in again."), N_("On a device that is yours alone, tick \"Keep me signed in\".")),
                action=SIGN_IN, topic="signed-out"),
    ReasonEntry(Reason.SESSION_REVOKED, 401, N_("Signed out"),
                N_("This session was ended, from your security settings or for your protection."),
                (N_("Sign in again."),
                 N_("If you did not end it, review your sign-in activity and change your password.")),
                action=SIGN_IN, topic="someone-else"),
    ReasonEntry(Reason.REAUTH_REQUIRED, 403, N_("Confirm it's you"),
                N_("This change needs you to confirm your password again."),
                (N_("Enter your password (or second factor) to confirm, then repeat the change."),),
                pre_auth=False, action=Action(N_("Confirm it's you"), "/security", "POST /v1/reauth")),
    ReasonEntry(Reason.REAUTH_FAILED, 401, N_("Password not accepted"),
                N_("That password is not correct, so the change was not made."),
                (N_("Type your password again; check Caps Lock and the keyboard layout."),
                 N_("Forgot it? Sign out and choose \"Forgot password\" on the sign-in page.")), pre_auth=False,
                action=RESET, topic="forgot-password"),
    ReasonEntry(Reason.CSRF_INVALID, 403, N_("Page expired"),
                N_("The form expired or came from another site."),
                (N_("Reload the page and try again."),
                 N_("If it keeps happening, check that your browser keeps cookies for this site.")),
                action=Action(N_("Check your browser"), f"{HELP_PATH}/browser"), topic="browser"),
    ReasonEntry(Reason.PERMISSION_DENIED, 403, N_("Not allowed"),
                N_("Your account is not allowed to do this."), (N_("Ask an administrator."),),
                action=Action(N_("Back to your account"), "/", "GET /v1/session")),
    ReasonEntry(Reason.SERVICE_KEY_INVALID, 401, N_("Service key not accepted"),
                N_("The service key is missing, unknown or revoked."),
                (N_("Check the key in your platform's configuration."),
                 N_("Create a new one with `bastion service-key create` if needed.")), action=API_REFERENCE),
    ReasonEntry(Reason.PERMISSION_MFA_REQUIRED, 403, N_("2FA required for staff"),
                N_("Support and admin work needs a session signed in with a second factor."),
                (N_("Set up an authenticator app or a passkey in your security center."),
                 N_("Sign out, then sign in again with the second step.")), pre_auth=False,
                action=Action(N_("Set up 2FA"), "/security", "POST /v1/me/totp/setup")),
)
