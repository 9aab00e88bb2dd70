"""Refusals of recovery cases (2FA reset, unfreeze) and their identity documents."""

from __future__ import annotations

from bastion.catalogue.codes import Reason
from bastion.catalogue.entry import CASE_QUEUE, CASE_REQUEST, HELP_PATH, UPLOAD, Action, ReasonEntry

ENTRIES = (
    ReasonEntry(Reason.CASE_CLOSED, 409, "This request is closed",
                "This recovery request is finished, cancelled or rejected, so it can no longer change.",
                ("Check the latest email about it.", "Start a new request if you still need one."),
                action=CASE_REQUEST, topic="lost-phone"),
    ReasonEntry(Reason.CASE_NOT_READY, 409, "Not ready for this step",
                "This recovery request is not at the step this action needs.",
                ("Check the request's status: documents may still be missing.",),
                action=Action("Check the request", f"{HELP_PATH}/lost-phone#reset", "GET /v1/recovery-cases/{case_id}"),
                topic="lost-phone"),
    ReasonEntry(Reason.CASE_ALREADY_APPROVED, 409, "Already approved by you",
                "You already approved this request; a second approval must come from another agent.",
                ("Ask another agent to review the request.",), pre_auth=False, action=CASE_QUEUE),
    ReasonEntry(Reason.CASE_OWN_ACCOUNT, 403, "Not your own request",
                "Staff cannot decide recovery requests for their own account.",
                ("Ask another agent to review it.",), pre_auth=False, action=CASE_QUEUE),
    ReasonEntry(Reason.CASE_CLAIMED, 409, "Another agent is working on this case",
                "Another agent claimed this case: only they decide it until it is released.",
                ("Pick another case from the queue.", "Ask the agent, or an admin, to release it if it is stuck."),
                pre_auth=False, action=CASE_QUEUE),
    ReasonEntry(Reason.EVIDENCE_UNSUPPORTED_TYPE, 415, "File type not accepted",
                "Upload a photo (JPEG or PNG) or a PDF. The file's content is checked, not its name.",
                ("Take a photo with your phone's camera app and upload that file.",
                 "Scanned documents can be saved as PDF."), action=UPLOAD, topic="lost-phone"),
    ReasonEntry(Reason.EVIDENCE_TOO_LARGE, 413, "File too large",
                "Each file may be at most 10 MB.",
                ("Take the photo at a lower resolution, or save the scan with more compression.",),
                action=UPLOAD, topic="lost-phone"),
    ReasonEntry(Reason.EVIDENCE_EMPTY, 422, "Empty file",
                "The file you sent is empty.", ("Choose the file again and upload it.",), action=UPLOAD,
                topic="lost-phone"),
    ReasonEntry(Reason.EVIDENCE_UNREADABLE, 422, "File can't be read",
                "The file is damaged, or it expands to far more than its size (such files are refused for safety).",
                ("Open the file on your device to check it shows correctly.",
                 "Take a new photo or scan and upload that instead."), action=UPLOAD, topic="lost-phone"),
    ReasonEntry(Reason.EVIDENCE_TOO_COMPLEX, 422, "File too complex to check",
                "This file has far more parts than a photo or a scan of a document, so it can't be checked safely.",
                ("Take a photo of the document with your phone's camera app and upload that.",
                 "For a scan, save just the pages needed as a new PDF or as a JPEG image."),
                action=UPLOAD, topic="lost-phone"),
)
