"""The guided troubleshooter (/help/sign-in) as data: the problems people actually meet, each
with its causes, the ordered steps for each, and the action that ends the path.

A section's `live` names what the page fills in from the service itself: a form that acts
right there (reset, resend), or a diagnosis (maintenance now, the browser's cookies and
version, the time for a phone's clock, when a pause ends for a reference). Every section ends
in an action or a live form, so no path ends in reading alone (tests/help/test_guide.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from bastion.catalogue.entry import (
    ALLOWLIST_RESET,
    CASE_REQUEST,
    HELP_PATH,
    RESET,
    SECURITY,
    SIGN_IN,
    STATUS,
    SUPPORT,
    Action,
)
from bastion.i18n import N_

# Live parts that are recovery-case requests (email and password), and the form's path under /help/sign-in.
CASE_REQUEST_FORMS = {"mfa_reset_form": "mfa-reset", "unfreeze_form": "unfreeze-request",
                      "allowlist_reset_form": "allowlist-reset"}
LIVE_PARTS = frozenset({"reset_form", "resend_verification", "resend_reset", *CASE_REQUEST_FORMS,
                        "reference", "clock", "cookies", "browser", "maintenance", "app_versions", "announcements",
                        "contact", "mail_from"})
# Live parts that are forms acting right there: the section's action is what they do.
FORMS = frozenset({"reset_form", "resend_verification", "resend_reset", *CASE_REQUEST_FORMS})
# Live parts that are themselves the action (a form, or a check the person runs right there).
ACTING_PARTS = FORMS | {"reference", "cookies", "contact"}


@dataclass(frozen=True, slots=True)
class Section:
    anchor: str
    title: str
    steps: tuple[str, ...]
    action: Action | None = None
    live: str | None = None
    see: tuple[str, ...] = ()  # other topics worth a look from here


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    question: str
    sections: tuple[Section, ...]

    @property
    def url(self) -> str:
        return f"{HELP_PATH}/{self.slug}"


def _topic(slug: str, label: str) -> Action:
    return Action(label, f"{HELP_PATH}/{slug}")


def _sign_in(label: str) -> Action:
    return Action(label, SIGN_IN.href, SIGN_IN.endpoint)


TOPIC_TITLES = {
    "forgot-password": N_("I forgot my password"),
    "locked": N_("Sign-in is paused after too many attempts"),
    "authenticator": N_("My authenticator code is rejected"),
    "lost-phone": N_("I lost my phone or my authenticator app"),
    "new-device": N_("A new device or place is blocked or asks for a code"),
    "email": N_("I didn't receive the email"),
    "phishing": N_("An email looks like phishing"),
    "browser": N_("The sign-in page doesn't work in my browser"),
    "app-update": N_("The app says I must update"),
    "maintenance": N_("Sign-in is down or something went wrong"),
    "restricted": N_("My account is frozen, suspended or restricted"),
    "someone-else": N_("Someone else got into my account"),
    "signed-out": N_("I keep getting signed out"),
    "contact": N_("Contact support"),
}
UNFREEZE = Action(N_("Ask to unfreeze the account"), f"{HELP_PATH}/restricted#frozen", "POST /v1/unfreeze-request")
FREEZE = Action(N_("Freeze my account now"), "/security", "POST /v1/me/freeze")
ANTI_PHISHING = Action(N_("Set your anti-phishing code"), "/security", "PUT /v1/me/anti-phishing-code")

TOPICS: tuple[Topic, ...] = (
    Topic("forgot-password", TOPIC_TITLES["forgot-password"], (
        Section("reset", N_("Set a new password"), (
            N_("Enter your email address below: we email you a link, valid for 30 minutes (only the newest works)."),
            N_("Open the link and choose a new password."),
            N_("Sign in with it. Your second step (authenticator, passkey) is still asked."),
            N_("For your protection every device is signed out and withdrawals are held for 24 hours."),
        ), RESET, live="reset_form", see=("email",)),
        Section("strong", N_("Choosing a good password"), (
            N_("Use at least 12 characters: a few unrelated words work well."),
            N_("Use it nowhere else; a password manager remembers it for you."),
            N_("Leave out your email address and name."),
        ), RESET),
    )),
    Topic("locked", TOPIC_TITLES["locked"], (
        Section("when", N_("See when you can try again"), (
            N_("After 5 wrong passwords, sign-in for that email pauses for 30 seconds, doubling up to 15 minutes."),
            N_("Enter the reference shown with the message: this page tells you when the pause ends."),
            N_("Wait until then; every wrong try during a pause does not count, so nothing gets worse."),
        ), live="reference"),
        Section("known-device", N_("Sign in from a device you used before"), (
            N_("A phone or computer you signed in with before has its own count, so it is not paused."),
        ), _sign_in(N_("Sign in from that device"))),
        Section("reset", N_("Lift the pause now with a new password"), (
            N_("A completed password reset lifts the pause at once."),
            N_("After 100 wrong passwords signing in with the password is switched off; only a reset switches it on."),
        ), RESET, live="reset_form"),
        Section("network", N_("Too many attempts from your network"), (
            N_("Many sign-ins from one network (a VPN, an office, a café) pause that network for 15 minutes."),
            N_("Switch off the VPN or use another network, or wait."),
        ), _sign_in(N_("Try again"))),
        Section("not-me", N_("These attempts were not yours"), (
            N_("Someone may be guessing your password: the pause protects you."),
            N_("Turn on an authenticator app or a passkey, and change the password if you use it elsewhere."),
        ), _topic("someone-else", N_("Secure your account"))),
    )),
    Topic("authenticator", TOPIC_TITLES["authenticator"], (
        Section("clock", N_("Your phone's clock is off"), (
            N_("Codes depend on the time: a phone clock more than a minute off gives codes we cannot accept."),
            N_("We tell you when this is the cause, with how far off the clock is."),
            N_("iPhone: Settings → General → Date & Time → Set Automatically. "
               "Android: Settings → System → Date & time → Set time automatically."),
            N_("Google Authenticator on Android: ⋮ → Settings → Time correction for codes → Sync now."),
            N_("Then enter the newest code."),
        ), _sign_in(N_("Sign in with the new code")), live="clock"),
        Section("wrong-entry", N_("The code is from another entry in the app"), (
            N_("Authenticator apps hold many accounts: use the entry named for this site and your email."),
            N_("If you set up the authenticator again, the old entry no longer works: delete it from the app."),
        ), _sign_in(N_("Sign in again"))),
        Section("reused", N_("The code was already used"), (
            N_("Each code works once. Wait for the next one (at most 30 seconds) and enter it."),
            N_("If you did not use it, someone may know your password: set a new one."),
        ), _sign_in(N_("Sign in with the next code")), see=("someone-else",)),
        Section("too-many", N_("Too many wrong codes"), (
            N_("5 wrong codes cancel a sign-in; 10 in 15 minutes pause the second step for a while."),
            N_("Start again, or see when the pause ends."),
        ), _topic("locked", N_("See when the pause ends")), see=("lost-phone",)),
    )),
    Topic("lost-phone", TOPIC_TITLES["lost-phone"], (
        Section("backup", N_("Use a backup code"), (
            N_("Sign in with your email and password."),
            N_("On the second step choose \"Use a backup code\" and type one of the codes you saved."),
            N_("Each code works once. Then set up the authenticator on your new phone in security settings."),
        ), _sign_in(N_("Sign in with a backup code"))),
        Section("passkey", N_("Use a passkey"), (
            N_("Added a passkey on another device (a laptop, a security key)? Choose it on the second step."),
        ), _sign_in(N_("Sign in with a passkey"))),
        Section("reset", N_("No backup codes: request a 2FA reset"), (
            N_("Start below with your email and password: we email you a link to upload your documents."),
            N_("Upload your ID (front and back) and a photo of you holding it with a handwritten note of "
               "today's date and \"2FA reset\"."),
            N_("Support checks them. After approval a 48-hour wait starts; every email about it has a link that "
               "cancels it if the request was not yours."),
            N_("Then the old 2FA is removed, every device signed out and withdrawals held for 48 hours."),
        ), CASE_REQUEST, live="mfa_reset_form"),
    )),
    Topic("new-device", TOPIC_TITLES["new-device"], (
        Section("code", N_("Enter the emailed code"), (
            N_("A sign-in from a new device or place can ask you to confirm: we email a 6-digit code and a link."),
            N_("Type the code on the sign-in page, or open the link on the same device. It is valid 15 minutes."),
            N_("Only the newest email works. No email? Sign in again on the same device for a new one."),
        ), _sign_in(N_("Sign in again for a new code")), see=("email",)),
        Section("vpn", N_("Using a VPN, proxy or cloud server"), (
            N_("Sign-ins through hosting and anonymising networks are blocked for your protection."),
            N_("Switch off the VPN or proxy, then sign in again."),
        ), _sign_in(N_("Sign in without the VPN"))),
        Section("travel", N_("Travelling"), (
            N_("A new country, or a jump faster than a plane could fly, asks for the emailed code."),
            N_("Tick \"Keep me signed in\" on your own device: a trusted device is not asked again for 30 days."),
        ), _sign_in(N_("Sign in and confirm it's you"))),
        Section("not-me", N_("A code you did not ask for"), (
            N_("Someone has your password. Never give the code to anyone."),
            N_("Use the email's \"This wasn't me\" link to freeze your account, then set a new password."),
        ), _topic("someone-else", N_("Secure your account"))),
    )),
    Topic("email", TOPIC_TITLES["email"], (
        Section("check", N_("Check these first"), (
            N_("Give it a few minutes."),
            N_("Look in the spam, junk and promotions folders, and search for the sender shown below."),
            N_("Check the address you typed for typos."),
            N_("Genuine emails show your anti-phishing code at the top."),
        ), Action(N_("Still nothing? Send it again"), f"{HELP_PATH}/email#verification"), live="mail_from",
            see=("phishing",)),
        Section("verification", N_("Send the confirmation email again"), (
            N_("Enter the address you signed up with. If it waits for confirmation, a new link is sent "
               "and the older ones stop working."),
        ), Action(N_("Send the confirmation email again"), f"{HELP_PATH}/email#verification",
                  "POST /v1/accounts/resend-verification"), live="resend_verification"),
        Section("reset", N_("Send the password-reset email again"), (
            N_("Enter your address: a new link is sent and the older ones stop working."),
        ), Action(N_("Send the reset email again"), f"{HELP_PATH}/email#reset", "POST /v1/password-reset/resend"),
            live="resend_reset"),
        Section("device", N_("Send the device code again"), (
            N_("On the \"Confirm it's you\" page choose \"Send a new code\", or sign in again on the same device."),
            N_("The older code stops working."),
        ), Action(N_("Sign in again"), "/login", "POST /v1/login/{flow_id}/device/resend")),
    )),
    Topic("phishing", TOPIC_TITLES["phishing"], (
        Section("code", N_("Check the anti-phishing code"), (
            N_("Every email we send shows your anti-phishing code at the very top."),
            N_("Missing or wrong? The email is not from us: don't click, don't reply, delete it."),
            N_("We never ask for your password, authenticator codes or backup codes — by email, phone or chat."),
        ), ANTI_PHISHING, live="announcements"),
        Section("clicked", N_("Already clicked or typed your password?"), (
            N_("Set a new password now: it signs out every device."),
            N_("Then review your sign-in activity."),
        ), RESET, live="reset_form", see=("someone-else",)),
    )),
    Topic("browser", TOPIC_TITLES["browser"], (
        Section("cookies", N_("Cookies are blocked"), (
            N_("Sign-in needs cookies for this site. Check your browser now: we set a cookie and see if it comes "
               "back."),
            N_("Blocked? Allow cookies for this site, leave private or incognito mode, or pause privacy extensions."),
        ), live="cookies"),
        Section("outdated", N_("An outdated browser"), (
            N_("Old browsers lack what sign-in needs (safe cookies, passkeys)."),
            N_("Update the browser, or use another one."),
        ), _sign_in(N_("Try signing in again")), live="browser"),
        Section("expired", N_("\"Page expired\""), (
            N_("The form was open too long or came from another site. Open the sign-in page again."),
        ), _sign_in(N_("Open the sign-in page again"))),
    )),
    Topic("app-update", TOPIC_TITLES["app-update"], (
        Section("update", N_("Update the app"), (
            N_("Update from the official app store, then sign in again."),
            N_("Installed it from somewhere else? Remove it and install it from the store."),
            N_("Never install an app from a link in an email or message."),
        ), STATUS, live="app_versions"),
    )),
    Topic("maintenance", TOPIC_TITLES["maintenance"], (
        Section("now", N_("Maintenance"), (
            N_("During maintenance sign-in and sign-up pause until the time shown."),
            N_("If you are already signed in you can usually keep going."),
        ), STATUS, live="maintenance"),
        Section("error", N_("Something went wrong on our side"), (
            N_("Try again in a minute."),
            N_("If it keeps happening, contact support with the reference shown."),
        ), STATUS, see=("contact",)),
    )),
    Topic("restricted", TOPIC_TITLES["restricted"], (
        Section("frozen", N_("Frozen"), (
            N_("You (or the \"This wasn't me\" link in one of our emails) froze the account: every device was "
               "signed out."),
            N_("To lift it, ask below with your email and password: we email you a link to upload your ID, and "
               "support checks it."),
            N_("For your safety a freeze is not lifted in the first hours after it."),
        ), UNFREEZE, live="unfreeze_form"),
        Section("suspended", N_("Suspended or temporarily banned"), (
            N_("An administrator restricted the account. A temporary ban ends at the time shown."),
            N_("Enter the reference to see when it ends, or contact support."),
        ), SUPPORT, live="reference"),
        Section("allowlist", N_("Network not on your IP allowlist"), (
            N_("Your account only accepts sign-ins from the networks you listed. Sign in from one of them "
               "(switch off any VPN)."),
            N_("Can't reach any of them any more? Ask below with your email and password — it works from any "
               "network: we email you a link to upload your ID, and support checks it."),
            N_("Once approved, the allowlist is cleared after a waiting period; every email about it has a link "
               "that stops it if it wasn't you. Withdrawals are held for a while after."),
            N_("Forgot the password too? Set a new one first: that works from any network."),
        ), ALLOWLIST_RESET, live="allowlist_reset_form"),
        Section("holds", N_("Withdrawals on hold"), (
            N_("After a password reset (24 hours), a 2FA reset (48 hours) or a cleared IP allowlist (24 hours), "
               "withdrawals are held for your protection."),
            N_("The hold ends on its own; your security settings show when."),
        ), SECURITY),
    )),
    Topic("someone-else", TOPIC_TITLES["someone-else"], (
        Section("freeze", N_("Freeze your account now"), (
            N_("Signed in: choose \"Freeze my account\" in security settings — every device is signed out at once."),
            N_("Not signed in: open the \"This wasn't me\" link in any security email from us."),
        ), FREEZE),
        Section("reset", N_("Set a new password"), (
            N_("It signs out every device. Use a password you use nowhere else."),
        ), RESET, live="reset_form"),
        Section("review", N_("Review what happened"), (
            N_("In security settings: sign-in history, sessions, devices, 2FA and passkeys."),
            N_("End sessions and forget devices you don't know; replace your backup codes."),
        ), SECURITY),
        Section("support", N_("Tell support"), (
            N_("Contact support with the references and times of anything you saw."),
        ), SUPPORT),
    )),
    Topic("signed-out", TOPIC_TITLES["signed-out"], (
        Section("timeouts", N_("Sessions end on their own"), (
            N_("After 30 minutes without activity, or 12 hours at most."),
            N_("On a device that is yours alone tick \"Keep me signed in\": 7 days without activity, 30 days at most."),
        ), _sign_in(N_("Sign in again"))),
        Section("ended", N_("Ended for your protection"), (
            N_("A password reset, a freeze, or ending sessions in security settings signs devices out."),
            N_("If you did none of these, someone else may have."),
        ), _sign_in(N_("Sign in again")), see=("someone-else", "browser")),
    )),
    Topic("contact", TOPIC_TITLES["contact"], (
        Section("reference", N_("Have the reference ready"), (
            N_("Every refusal shows a reference like R-7F3K9Q2M: enter it here to see what it was."),
            N_("Give it to support with the time; they see what happened without asking for your password."),
            N_("Support never asks for your password, authenticator codes or backup codes."),
        ), live="reference"),
        Section("reach", N_("Reach support"), (
            N_("Use the support channel of the platform you are signing in to."),
        ), live="contact"),
    )),
)

BY_SLUG = {topic.slug: topic for topic in TOPICS}


def topic(slug: str) -> Topic | None:
    return BY_SLUG.get(slug)
