"""Refusals of passwords, sign-up and the links we email."""

from __future__ import annotations

from bastion.catalogue.codes import Reason
from bastion.catalogue.entry import HELP_PATH, RESEND, Action, ReasonEntry
from bastion.i18n import N_

ENTRIES = (
    ReasonEntry(Reason.PASSWORD_WEAK, 422, N_("Choose a stronger password"),
                N_("That password is too easy to guess."),
                (N_("Use at least 12 characters; a few unrelated words work well."),
                 N_("Don't include your email address or name.")),
                action=Action(N_("How to choose a strong password"), f"{HELP_PATH}/forgot-password#strong"),
                topic="forgot-password"),
    ReasonEntry(Reason.PASSWORD_BREACHED, 422, N_("Password too common"),
                N_("That password is on the list of passwords attackers try first."),
                (N_("Choose a password you don't use anywhere else."),),
                action=Action(N_("How to choose a strong password"), f"{HELP_PATH}/forgot-password#strong"),
                topic="forgot-password"),
    ReasonEntry(Reason.TOKEN_INVALID, 400, N_("Link not valid"),
                N_("This link or code is not valid, or it was already used."),
                (N_("Use the newest email we sent you."), N_("Request a new link if needed.")),
                action=RESEND, topic="email"),
    ReasonEntry(Reason.TOKEN_EXPIRED, 410, N_("Link expired"),
                N_("This link or code has expired."), (N_("Request a new one."),), action=RESEND, topic="email"),
    ReasonEntry(Reason.SIGNUP_PASSWORD_REQUIRED, 401, N_("Type your password to confirm"),
                N_("This email address was signed up more than once, so confirming it needs the password chosen at "
                   "sign-up."),
                (N_("Type the password you chose when you signed up, then confirm."),
                 N_("Signed up only once? Someone else tried to sign up with your address: your password decides that "
                    "the account is yours.")), pre_auth=False, action=RESEND, topic="email"),
    ReasonEntry(Reason.SIGNUP_PASSWORD_MISMATCH, 401, N_("This link is for another sign-up"),
                N_("This link belongs to a sign-up of your address made with a different password, so it was not "
                   "confirmed."),
                (N_("Use the link in our other email: each email says when and from where its sign-up came."),
                 N_("Or type the password of the sign-up this link belongs to."),
                 N_("Signed up only once? The other sign-up was not yours: don't use its link.")),
                pre_auth=False, action=RESEND, topic="email"),
)
