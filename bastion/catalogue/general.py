"""Refusals of any request: help lookups, malformed or unknown requests, and our own faults."""

from __future__ import annotations

from bastion.catalogue.codes import Reason
from bastion.catalogue.entry import API_REFERENCE, HELP_PATH, STATUS, Action, ReasonEntry

ENTRIES = (
    # Help.
    ReasonEntry(Reason.HELP_REFERENCE_NOT_FOUND, 404, "Reference not found",
                "There is no refusal with this reference.",
                ("Check the reference: R- followed by 8 letters and digits, as shown with the refusal.",
                 "Still not found? Contact support and tell them when it happened."),
                action=Action("Get help signing in", HELP_PATH, "GET /v1/help/reasons")),
    # Requests.
    ReasonEntry(Reason.REQUEST_INVALID, 422, "Request not understood",
                "Some of the information sent is missing or not in the right form.",
                ("Check the fields named in the details and try again.",), action=API_REFERENCE),
    ReasonEntry(Reason.REQUEST_TOO_LARGE, 413, "Too large", "The request is too large.",
                ("Send a smaller request.",), action=API_REFERENCE),
    ReasonEntry(Reason.RESOURCE_NOT_FOUND, 404, "Not found", "There is nothing here.",
                ("Check the address.",), action=Action("Go to the start page", "/")),
    ReasonEntry(Reason.REQUEST_METHOD_NOT_ALLOWED, 405, "Not allowed here",
                "This address does not accept that kind of request.", ("Check the API reference.",),
                action=API_REFERENCE),
    ReasonEntry(Reason.INTERNAL_ERROR, 500, "Something went wrong on our side",
                "Something went wrong on our side. Nothing you did caused it.",
                ("Try again in a minute.", "If it keeps happening, contact support with the reference."),
                action=STATUS, topic="maintenance"),
)
