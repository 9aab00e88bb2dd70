"""Refusals of any request: help lookups, malformed or unknown requests, and our own faults."""

from __future__ import annotations

from bastion.catalogue.codes import Reason
from bastion.catalogue.entry import API_REFERENCE, HELP_PATH, STATUS, Action, ReasonEntry
from bastion.i18n import N_

ENTRIES = (
    # Help.
    ReasonEntry(Reason.HELP_REFERENCE_NOT_FOUND, 404, N_("Reference not found"),
                N_("There is no refusal with this reference."),
                (N_("Check the reference: R- followed by 8 letters and digits, as shown with the refusal."),
                 N_("Still not found? Contact support and tell them when it happened.")),
                action=Action(N_("Get help signing in"), HELP_PATH, "GET /v1/help/reasons")),
    # Requests.
    ReasonEntry(Reason.REQUEST_INVALID, 422, N_("Request not understood"),
                N_("Some of the information sent is missing or not in the right form."),
                (N_("Check the fields named in the details and try again."),), action=API_REFERENCE),
    ReasonEntry(Reason.REQUEST_TOO_LARGE, 413, N_("Too large"), N_("The request is too large."),
                (N_("Send a smaller request."),), action=API_REFERENCE),
    ReasonEntry(Reason.REQUEST_TIMEOUT, 408, N_("Took too long to arrive"),
                N_("The request did not arrive in time, so it was not read."),
                (N_("Check your internet connection and try again."),), action=API_REFERENCE),
    ReasonEntry(Reason.RESOURCE_NOT_FOUND, 404, N_("Not found"), N_("There is nothing here."),
                (N_("Check the address."),), action=Action(N_("Go to the start page"), "/")),
    ReasonEntry(Reason.REQUEST_METHOD_NOT_ALLOWED, 405, N_("Not allowed here"),
                N_("This address does not accept that kind of request."), (N_("Check the API reference."),),
                action=API_REFERENCE),
    ReasonEntry(Reason.INTERNAL_ERROR, 500, N_("Something went wrong on our side"),
                N_("Something went wrong on our side. Nothing you did caused it."),
                (N_("Try again in a minute."), N_("If it keeps happening, contact support with the reference.")),
                action=STATUS, topic="maintenance"),
)
