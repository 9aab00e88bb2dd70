"""Identity evidence for recovery cases (requirements §16): checked by content, encrypted at rest.

A file is accepted only when its bytes are a JPEG, a PNG or a PDF — the name and the declared
type mean nothing. Anyone holding a case link may upload, so a file's check is bounded like a
request (issue 18): every check is one forward pass over the bytes, the things it walks are
counted against hard caps (segments, chunks, PDF objects and streams, pixels, inflated bytes),
and a file that would need more than `CHECK_CPU_SECONDS` of CPU is refused as too complex (a
request's files share one such budget). The walks are in evidence_formats.py. Accepted files are
stored AES-GCM encrypted, bound to their case and kind.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bastion.crypto import KeyRing
from bastion.errors import BastionError, Reason
from bastion.i18n import N_
from bastion.recovery.evidence_formats import FORMATS, WorkBudget

MAX_BYTES = 10 * 1024 * 1024  # requirements §16
CHECK_CPU_SECONDS = 0.5  # a 10 MB scan checks in a few tens of milliseconds

# What support needs to see (BitMart's list): both sides of the ID, and the person holding it
# with a handwritten note of the date and the request (`bastion.recovery.kinds.document_labels`
# names the request: the words of each kind of case are there, once).
DOCUMENT_KINDS = {
    "id_front": N_("ID document, front"),
    "id_back": N_("ID document, back"),
    "selfie": N_("Photo of you holding the ID and a handwritten note"),
}


@dataclass(frozen=True, slots=True)
class Evidence:
    content_type: str
    size: int
    sha256: str


def check_evidence(content: bytes, budget: WorkBudget | None = None) -> Evidence:
    """The file's real type, or a refusal that says what is wrong with it. Checks that share
    `budget` (a request's files) share its CPU; without one, the file has CHECK_CPU_SECONDS."""
    if not content:
        raise BastionError(Reason.EVIDENCE_EMPTY)
    if len(content) > MAX_BYTES:
        raise BastionError(Reason.EVIDENCE_TOO_LARGE)
    budget = budget or WorkBudget(CHECK_CPU_SECONDS)
    for signature, content_type, check in FORMATS:
        if content.startswith(signature):
            with budget.counting():
                check(content, budget)
                budget.spend()
            return Evidence(content_type, len(content), hashlib.sha256(content).hexdigest())
    raise BastionError(Reason.EVIDENCE_UNSUPPORTED_TYPE)


def document_aad(case_id: str, kind: str) -> str:
    return f"recovery_cases/{case_id}/documents/{kind}"


def seal(keys: KeyRing, case_id: str, kind: str, content: bytes) -> str:
    return keys.encrypt(content, document_aad(case_id, kind))


def unseal(keys: KeyRing, case_id: str, kind: str, stored: str) -> bytes:
    return keys.decrypt_bytes(stored, document_aad(case_id, kind))
