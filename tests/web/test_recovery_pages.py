"""The recovery case pages without a browser: the same answer for anyone who asks, documents
uploaded from the emailed link and judged by their content, and the cancel link."""

from __future__ import annotations

import re

from tests.mfa.conftest import enrolled, login, signed_in  # noqa: F401 (fixtures)
from tests.recovery.conftest import cancel_token, case_link, jpeg, pdf, png
from tests.web.test_pages import REFERENCE, csrf_for, hidden


def ask(app_client, email: str, password: str):  # type: ignore[no-untyped-def]
    return app_client.post("/recovery/mfa-reset", data={"email": email, "password": password,
                                                        "csrf_token": csrf_for(app_client, "/recovery/mfa-reset")})


def test_asking_answers_the_same_page_whoever_asks(app_client, enrolled, mailbox) -> None:  # noqa: F811
    owner = enrolled()
    pages = [ask(app_client, email, password).text for email, password in (
        (owner["email"], owner["password"]), (owner["email"], "not the password"),
        ("nobody@example.com", owner["password"]))]
    assert pages[0] == pages[1] == pages[2] and "Check your email" in pages[0]
    assert len([m for m in mailbox.messages(owner["email"]) if m["template"] == "case_opened"]) == 1


def test_documents_from_the_emailed_link_then_the_case_is_in_review(app_client, enrolled, mailbox) -> None:  # noqa: F811
    owner = enrolled()
    ask(app_client, owner["email"], owner["password"])
    case_id, token = case_link(mailbox, owner["email"])
    page = app_client.get(f"/recovery/case?case={case_id}&token={token}")
    assert page.status_code == 200 and "Waiting for your documents" in page.text
    csrf = hidden(page.text)

    def upload(kind: str, name: str, content: bytes, mime: str):  # type: ignore[no-untyped-def]
        return app_client.post("/recovery/case/documents", data={"case": case_id, "token": token, "kind": kind,
                                                                 "csrf_token": csrf},
                               files={"file": (name, content, mime)}, follow_redirects=False)

    renamed = upload("id_front", "front.jpg", b"PK\x03\x04 a zip, not a photo", "image/jpeg")
    assert renamed.status_code == 415 and "File type not accepted" in renamed.text and REFERENCE.search(renamed.text)
    assert "evidence.unsupported_type" not in renamed.text
    empty = upload("id_front", "front.png", b"", "image/png")
    assert empty.status_code == 422 and "Empty file" in empty.text
    for kind, name, content, mime in (("id_front", "front.png", png(), "image/png"),
                                      ("id_back", "back.jpg", jpeg(), "image/jpeg"),
                                      ("selfie", "selfie.pdf", pdf(), "application/pdf")):
        done = upload(kind, name, content, mime)
        assert done.status_code == 303 and "done=uploaded" in done.headers["location"]
    page = app_client.get(f"/recovery/case?case={case_id}&token={token}")
    assert "Support is reviewing it" in page.text and "Missing" not in page.text
    assert app_client.get(f"/recovery/case?case={case_id}&token={'x' * 43}").status_code == 400


def test_the_cancel_link_asks_first_then_freezes(app_client, enrolled, mailbox) -> None:  # noqa: F811
    owner = enrolled()
    ask(app_client, owner["email"], owner["password"])
    token = cancel_token(mailbox, owner["email"], "case_opened")
    for _ in range(2):  # mail scanners open links: a GET never acts
        page = app_client.get(f"/recovery/cancel?token={token}")
        assert page.status_code == 200 and "Cancel and freeze my account" in page.text
    done = app_client.post("/recovery/cancel", data={"token": token, "csrf_token": hidden(page.text)})
    assert done.status_code == 200 and "Request cancelled, account frozen" in done.text
    again = app_client.post("/recovery/cancel", data={"token": token, "csrf_token": hidden(page.text)})
    assert again.status_code == 400 and "Link not valid" in again.text
    assert app_client.post("/v1/login", json={"email": owner["email"], "password": owner["password"]}
                           ).json()["code"] == "account.frozen"
    assert re.search(r'href="/recovery/unfreeze"', done.text)
