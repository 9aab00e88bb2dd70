"""Identity documents (requirements §14, §16): checked by content, refused clearly, encrypted at rest."""

from __future__ import annotations

import struct
import zlib

import pytest
from sqlalchemy import select

from bastion.crypto.keyring import KeyRingError
from bastion.errors import BastionError, Reason
from bastion.recovery import evidence_formats
from bastion.recovery.evidence import MAX_BYTES, check_evidence, unseal
from bastion.recovery.models import CaseDocument
from tests.conftest import DEFAULT_PASSWORD
from tests.recovery.conftest import case_link, jpeg, pdf, png, upload


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, image_data: bool = True) -> bytes:
    """A tiny, well-formed PNG whose header claims a huge image (a decompression bomb's shape)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + (chunk(b"IDAT", zlib.compress(b"\0" * 64)) if image_data else b"") + chunk(b"IEND", b""))


@pytest.fixture
def open_case(app_client, enrolled, mailbox):  # type: ignore[no-untyped-def]
    account = enrolled()
    app_client.post("/v1/mfa-reset", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    return case_link(mailbox, account["email"])


BOMB = pdf(zlib.compress(b"\0" * (80 * 1024 * 1024), 9), flate=True)  # ~80 KB that inflates to 80 MB

REFUSED = [
    ("text renamed to .jpg", b"hello, this is not a photo at all", "id.jpg", "image/jpeg", 415,
     "evidence.unsupported_type"),
    ("zip renamed to .pdf", b"PK\x03\x04" + b"\0" * 200, "id.pdf", "application/pdf", 415, "evidence.unsupported_type"),
    ("empty file", b"", "id.png", "image/png", 422, "evidence.empty"),
    ("one byte over 10 MB", b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_BYTES - 7), "big.png", "image/png", 413,
     "evidence.too_large"),
    ("far over 10 MB", b"\xff\xd8\xff" + b"\0" * (12 * 1024 * 1024), "huge.jpg", "image/jpeg", 413,
     "evidence.too_large"),
    ("PDF that inflates to 80 MB", BOMB, "scan.pdf", "application/pdf", 422, "evidence.unreadable"),
    ("PNG declaring 20000x20000 pixels", png_declaring(20000, 20000), "id.png", "image/png", 422,
     "evidence.unreadable"),
    ("PNG cut short", png()[:40], "id.png", "image/png", 422, "evidence.unreadable"),
    # Pillow's verify raised an IndexError on it: a 500 (attack round 10).
    ("PNG without image data", png_declaring(10, 10, image_data=False), "id.png", "image/png", 422,
     "evidence.unreadable"),
    ("PNG whose header chunk is not first", png()[:8] + chunk(b"tEXt", b"a\0b") + png()[8:], "id.png", "image/png",
     422, "evidence.unreadable"),
    ("PDF cut short", pdf()[:60], "id.pdf", "application/pdf", 422, "evidence.unreadable"),
]


@pytest.mark.parametrize("label, content, name, content_type, status, code", REFUSED, ids=[r[0] for r in REFUSED])
def test_malformed_uploads_are_refused_clearly_and_nothing_is_stored(app_client, open_case, services, label, content,
                                                                      name, content_type, status, code) -> None:
    case_id, token = open_case
    answer = upload(app_client, case_id, token, "id_front", content, name, content_type)
    assert answer.status_code == status, (label, answer.text)
    body = answer.json()
    assert body["code"] == code and body["reference"].startswith("R-") and body["help"]
    with services.db.transaction() as tx:
        assert tx.execute(select(CaseDocument)).first() is None


def test_whatever_pillow_raises_on_a_file_is_a_refusal(monkeypatch) -> None:
    """Pillow parses bytes anyone with a case link sends; what it raises is the file's problem."""
    def broken(*_args: object, **_options: object) -> None:
        raise KeyError("tile")

    monkeypatch.setattr(evidence_formats.Image, "open", broken)
    with pytest.raises(BastionError) as refused:
        check_evidence(png())
    assert refused.value.code == Reason.EVIDENCE_UNREADABLE


def test_bad_kind_and_bad_token_are_refused(app_client, open_case) -> None:
    case_id, token = open_case
    assert upload(app_client, case_id, token, "passport_stamp", png()).json()["code"] == "request.invalid"
    assert upload(app_client, case_id, "not-the-token", "id_front", png()).json()["code"] == "token.invalid"
    no_token = app_client.post(f"/v1/mfa-reset/{case_id}/documents", data={"kind": "id_front"},
                               files={"file": ("a.png", png(), "image/png")})
    assert no_token.status_code == 400 and no_token.json()["code"] == "token.invalid"
    other_case = upload(app_client, "00000000-0000-0000-0000-000000000000", token, "id_front", png())
    assert other_case.json()["code"] == "token.invalid"


def test_documents_are_encrypted_at_rest_and_a_kind_uploaded_again_replaces_the_first(app_client, open_case,
                                                                                       services) -> None:
    case_id, token = open_case
    first, second = png(80, 60), jpeg()
    assert upload(app_client, case_id, token, "id_front", first).status_code == 201
    answer = upload(app_client, case_id, token, "id_front", second, "again.jpg", "image/jpeg")
    assert answer.status_code == 201 and answer.json()["documents"] == ["id_front"]
    with services.db.transaction() as tx:
        (row,) = tx.execute(select(CaseDocument)).scalars()
    assert row.content_type == "image/jpeg" and row.size == len(second)
    assert row.data is not None and row.data.startswith("v1.") and second[:16].hex() not in row.data
    assert unseal(services.keys, case_id, "id_front", row.data) == second
    with pytest.raises(KeyRingError):
        unseal(services.keys, case_id, "id_back", row.data)  # bound to its case and kind


def test_the_declared_type_means_nothing_only_the_content_does(app_client, open_case, services) -> None:
    case_id, token = open_case
    answer = upload(app_client, case_id, token, "id_back", pdf(), "photo.jpg", "image/jpeg")
    assert answer.status_code == 201
    with services.db.transaction() as tx:
        assert tx.execute(select(CaseDocument.content_type)).scalar_one() == "application/pdf"


def test_json_bodies_are_capped_too(app_client) -> None:
    answer = app_client.post("/v1/password-reset", content=b'{"email": "' + b"a" * (2 * 1024 * 1024) + b'"}',
                             headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and answer.json()["code"] == "request.too_large"
