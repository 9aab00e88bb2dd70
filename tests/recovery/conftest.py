"""Recovery fixtures: the second-factor fixtures (accounts with an authenticator app), sample
evidence files, and helpers that read the case emails."""

from __future__ import annotations

import io
import re
from typing import Any

from PIL import Image

from tests.mfa.conftest import enrolled, login, signed_in  # noqa: F401 (fixtures used here)


def png(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 210, 220)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(buffer, format="JPEG")
    return buffer.getvalue()


def pdf(stream: bytes = b"BT /F1 12 Tf 72 712 Td (Passport scan) Tj ET", flate: bool = False) -> bytes:
    filters = b"/Filter /FlateDecode " if flate else b""
    return (b"%PDF-1.4\n1 0 obj\n<< " + filters + b"/Length " + str(len(stream)).encode() + b" >>\nstream\n"
            + stream + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def case_link(mailbox: Any, email: str) -> tuple[str, str]:
    """The case id and token of the newest "upload your documents" email."""
    message = [m for m in mailbox.messages(email) if m["template"] == "case_opened"][-1]
    match = re.search(r"/recovery/case\?case=([0-9a-f-]+)&token=([\w-]+)", message["text"])
    assert match, message["text"]
    return match.group(1), match.group(2)


def cancel_token(mailbox: Any, email: str, template: str) -> str:
    message = [m for m in mailbox.messages(email) if m["template"] == template][-1]
    match = re.search(r"/recovery/cancel\?token=([\w-]+)", message["text"])
    assert match, message["text"]
    return match.group(1)


def upload(client: Any, case_id: str, token: str, kind: str, content: bytes, name: str = "photo.png",
           content_type: str = "image/png") -> Any:
    return client.post(f"/v1/mfa-reset/{case_id}/documents", headers={"X-Case-Token": token},
                       data={"kind": kind}, files={"file": (name, content, content_type)})


def upload_all(client: Any, case_id: str, token: str) -> Any:
    upload(client, case_id, token, "id_front", png())
    upload(client, case_id, token, "id_back", jpeg(), "back.jpg", "image/jpeg")
    return upload(client, case_id, token, "selfie", pdf(), "selfie.pdf", "application/pdf")
