"""Refusals of signing in to the platform's apps (OpenID Connect)."""

from __future__ import annotations

from bastion.catalogue.codes import Reason
from bastion.catalogue.entry import HELP_PATH, Action, ReasonEntry
from bastion.i18n import N_

ENTRIES = (
    ReasonEntry(Reason.OAUTH_INVALID_REQUEST, 400, N_("The app's sign-in link is not valid"),
                N_("The app that sent you here asked for something Bastion cannot do, so you were not sent back to "
                   "it."),
                (N_("Go back to the app and start signing in again."),
                 N_("If it keeps happening, tell the app's support: the app's setup needs fixing (reference below).")),
                action=Action(N_("Get help signing in"), HELP_PATH)),
    ReasonEntry(Reason.OAUTH_REQUEST_EXPIRED, 410, N_("This sign-in to the app has expired"),
                N_("This sign-in for an app took too long, was already finished, or was started in another browser."),
                (N_("Go back to the app and start signing in again."),),
                action=Action(N_("Get help signing in"), HELP_PATH)),
)
