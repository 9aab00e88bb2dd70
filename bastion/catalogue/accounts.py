"""Refusals of passwords, sign-up and the links we email."""

from __future__ import annotations

from bastion.catalogue.codes import Reason
from bastion.catalogue.entry import HELP_PATH, RESEND, Action, ReasonEntry

ENTRIES = (
    ReasonEntry(Reason.PASSWORD_WEAK, 422, "Choose a stronger password",
                "That password is too easy to guess.",
                ("Use at least 12 characters; a few unrelated words work well.",
                 "Don't include your email address or name."),
                action=Action("How to choose a strong password", f"{HELP_PATH}/forgot-password#strong"),
                topic="forgot-password"),
    ReasonEntry(Reason.PASSWORD_BREACHED, 422, "Password too common",
                "That password is on the list of passwords attackers try first.",
                ("Choose a password you don't use anywhere else.",),
                action=Action("How to choose a strong password", f"{HELP_PATH}/forgot-password#strong"),
                topic="forgot-password"),
    ReasonEntry(Reason.TOKEN_INVALID, 400, "Link not valid",
                "This link or code is not valid, or it was already used.",
                ("Use the newest email we sent you.", "Request a new link if needed."), action=RESEND, topic="email"),
    ReasonEntry(Reason.TOKEN_EXPIRED, 410, "Link expired",
                "This link or code has expired.", ("Request a new one.",), action=RESEND, topic="email"),
    ReasonEntry(Reason.SIGNUP_PASSWORD_REQUIRED, 401, "Type your password to confirm",
                "This email address was signed up more than once, so confirming it needs the password chosen at "
                "sign-up.",
                ("Type the password you chose when you signed up, then confirm.",
                 "Signed up only once? Someone else tried to sign up with your address: your password decides that "
                 "the account is yours."), pre_auth=False, action=RESEND, topic="email"),
    ReasonEntry(Reason.SIGNUP_PASSWORD_MISMATCH, 401, "This link is for another sign-up",
                "This link belongs to a sign-up of your address made with a different password, so it was not "
                "confirmed.",
                ("Use the link in our other email: each email says when and from where its sign-up came.",
                 "Or type the password of the sign-up this link belongs to.",
                 "Signed up only once? The other sign-up was not yours: don't use its link."),
                pre_auth=False, action=RESEND, topic="email"),
)
