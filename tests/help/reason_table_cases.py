"""The table, continued: staff without a second factor, recovery cases and identity documents."""

from __future__ import annotations

from typing import Any

from tests.help.conftest import Lab
from tests.help.reason_table import NO_ACCOUNT, row
from tests.recovery.conftest import png, upload, upload_all


@row("permission.mfa_required", f"{NO_ACCOUNT}: a session of the account itself")
def _(lab: Lab, email: str) -> Any:
    return lab.client.get("/v1/support/cases", headers=lab.signed_in(roles=["support"])["headers"])


def _decide(lab: Lab, case_id: str, agent: dict[str, Any], verdict: str = "approve") -> Any:
    return lab.client.post(f"/v1/support/cases/{case_id}/{verdict}", headers=agent["headers"],
                           json={"reason": "checked against the KYC record"})


@row("case.closed", f"{NO_ACCOUNT}: a case link")
def _(lab: Lab, email: str) -> Any:
    case_id, token = lab.open_case(lab.enrolled())
    upload_all(lab.client, case_id, token)
    assert _decide(lab, case_id, lab.staff(), "reject").json() == {"status": "rejected"}
    return upload(lab.client, case_id, token, "id_front", png())


@row("case.not_ready", f"{NO_ACCOUNT}: a case id, in a staff session")
def _(lab: Lab, email: str) -> Any:
    case_id, token = lab.open_case(lab.enrolled())
    upload(lab.client, case_id, token, "id_front", png())
    return _decide(lab, case_id, lab.staff())


@row("case.already_approved", case_approvals_required=2)
def _(lab: Lab, email: str) -> Any:
    case_id, token = lab.open_case(lab.enrolled())
    upload_all(lab.client, case_id, token)
    agent = lab.staff()
    assert _decide(lab, case_id, agent).json() == {"status": "in_review"}
    return _decide(lab, case_id, agent)


@row("case.own_account")
def _(lab: Lab, email: str) -> Any:
    agent = lab.staff()
    case_id, token = lab.open_case(agent)
    upload_all(lab.client, case_id, token)
    return _decide(lab, case_id, agent)


@row("support.own_account")
def _(lab: Lab, email: str) -> Any:
    agent = lab.staff()
    return lab.client.get(f"/v1/support/accounts/{agent['id']}", headers=agent["headers"])


@row("support.staff_account")
def _(lab: Lab, email: str) -> Any:
    colleague = lab.staff("admin")
    return lab.client.get(f"/v1/support/accounts/{colleague['id']}", headers=lab.staff()["headers"])


@row("case.documents_changed")
def _(lab: Lab, email: str) -> Any:
    case_id, token = lab.open_case(lab.enrolled())
    upload_all(lab.client, case_id, token)
    agent = lab.staff()
    return lab.client.post(f"/v1/support/cases/{case_id}/approve", headers=agent["headers"],
                           json={"reason": "checked against the KYC record", "documents_sha256": "0" * 64})


@row("case.claimed")
def _(lab: Lab, email: str) -> Any:
    case_id, token = lab.open_case(lab.enrolled())
    upload_all(lab.client, case_id, token)
    holder, other = lab.staff(), lab.staff()
    claimed = lab.client.post(f"/v1/support/cases/{case_id}/claim", headers=holder["headers"])
    assert claimed.json() == {"status": "claimed"}
    return _decide(lab, case_id, other)


def _upload(lab: Lab, content: bytes, name: str, content_type: str) -> Any:
    case_id, token = lab.open_case(lab.enrolled())
    return upload(lab.client, case_id, token, "id_front", content, name, content_type)


@row("evidence.unsupported_type", f"{NO_ACCOUNT}: a case link")
def _(lab: Lab, email: str) -> Any:
    return _upload(lab, b"GIF89a this is not an accepted kind of file", "id.gif", "image/gif")


@row("evidence.too_large", f"{NO_ACCOUNT}: a case link")
def _(lab: Lab, email: str) -> Any:
    return _upload(lab, b"\xff\xd8\xff" + bytes(11 * 1024 * 1024), "huge.jpg", "image/jpeg")


@row("evidence.empty", f"{NO_ACCOUNT}: a case link")
def _(lab: Lab, email: str) -> Any:
    return _upload(lab, b"", "empty.png", "image/png")


@row("evidence.unreadable", f"{NO_ACCOUNT}: a case link")
def _(lab: Lab, email: str) -> Any:
    return _upload(lab, b"%PDF-1.4\n1 0 obj\n<< /Length 400 >>\nstream\ncut short", "scan.pdf", "application/pdf")


@row("evidence.too_complex", f"{NO_ACCOUNT}: a case link")
def _(lab: Lab, email: str) -> Any:
    # Issue 18's file: 340 KB of empty streams, far more than any scan has.
    return _upload(lab, b"%PDF-1.4\n" + b"stream\nendstream\n" * 20_000 + b"%%EOF\n", "scan.pdf", "application/pdf")
