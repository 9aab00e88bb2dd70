"""Issue 18, finding 2: an upload's case link, its case's state and the upload limits are checked
before its file is read — over the API (`X-Case-Token`: before any of the body) and from the page
(the form's fields come first: before the file's part) — and a live server answers a wrong link
while the 10 MB it announced are still to come."""

from __future__ import annotations

import asyncio
import socket
import tracemalloc
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bastion.recovery.evidence import MAX_BYTES
from bastion.web.api import cases as api_cases
from bastion.web.uploads import FILE_CHECKS, _Reader
from tests.conftest import DEFAULT_PASSWORD
from tests.help.conftest import lab_factory  # noqa: F401 (fixture)
from tests.in_flight import InFlight
from tests.live import serving
from tests.recovery.conftest import case_link, png, upload, upload_all
from tests.web.test_pages import hidden

WRONG = "w" * 43
BOUNDARY = "boundary7MA4YWxkTrZu0gW"


class BodyWatch:
    """An ASGI wrapper that serves the body in the given chunks and counts how many were asked for."""

    def __init__(self, app: ASGIApp, chunks: list[bytes] | None = None) -> None:
        self.app, self.chunks, self.asked = app, chunks, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def watched() -> Message:
            self.asked += 1
            if self.chunks is None:
                return await receive()
            index = self.asked - 1
            return {"type": "http.request", "body": self.chunks[index] if index < len(self.chunks) else b"",
                    "more_body": index + 1 < len(self.chunks)}

        await self.app(scope, watched, send)


def multipart(fields: dict[str, str], file: bytes | None = None, name: str = "file") -> bytes:
    parts = [f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n{value}\r\n".encode()
             for key, value in fields.items()]
    if file is not None:
        parts.append(f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"id.png\"\r\n"
                     f"Content-Type: image/png\r\n\r\n".encode() + file + b"\r\n")
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


FORM = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.fixture
def open_case(app_client, enrolled, mailbox):  # type: ignore[no-untyped-def]
    account = enrolled()
    app_client.post("/v1/mfa-reset", json={"email": account["email"], "password": DEFAULT_PASSWORD})
    return case_link(mailbox, account["email"])


def test_a_wrong_case_token_is_refused_before_any_of_the_body_is_read(app_client, open_case) -> None:
    case_id, token = open_case
    watch = BodyWatch(app_client.app)
    client = TestClient(watch, raise_server_exceptions=False)
    answer = client.post(f"/v1/mfa-reset/{case_id}/documents", headers={**FORM, "X-Case-Token": WRONG},
                         content=multipart({"kind": "id_front"}, png()))
    assert answer.status_code == 400 and answer.json()["code"] == "token.invalid", answer.text
    assert watch.asked == 0
    # The right token reads it.
    answer = client.post(f"/v1/mfa-reset/{case_id}/documents", headers={**FORM, "X-Case-Token": token},
                         content=multipart({"kind": "id_front"}, png()))
    assert answer.status_code == 201 and watch.asked > 0


def test_a_closed_case_is_refused_before_the_body_is_read(app_client, open_case, staff) -> None:
    case_id, token = open_case
    upload_all(app_client, case_id, token)
    agent = staff()
    app_client.post(f"/v1/support/cases/{case_id}/reject", headers=agent["headers"], json={"reason": "blurred photos"})
    watch = BodyWatch(app_client.app)
    answer = TestClient(watch, raise_server_exceptions=False).post(
        f"/v1/mfa-reset/{case_id}/documents", headers={**FORM, "X-Case-Token": token},
        content=multipart({"kind": "id_front"}, png()))
    assert answer.status_code == 409 and answer.json()["code"] == "case.closed"
    assert watch.asked == 0


def test_a_token_in_the_form_is_checked_before_the_file_part_is_read(app_client, open_case) -> None:
    case_id, _ = open_case
    head, file_part = multipart({"token": WRONG, "kind": "id_front"}, png()).split(b"\x89PNG", 1)
    watch = BodyWatch(app_client.app, [head + b"\x89PNG", file_part])
    answer = TestClient(watch, raise_server_exceptions=False).post(
        f"/v1/mfa-reset/{case_id}/documents", headers=FORM, content=b"served by the watch")
    assert answer.json()["code"] == "token.invalid"
    assert watch.asked == 1  # the first chunk only: the file's bytes were never asked for


def test_a_token_sent_after_the_file_is_refused(app_client, open_case) -> None:
    case_id, token = open_case
    body = multipart({"kind": "id_front"}, png()).replace(f"--{BOUNDARY}--".encode(), multipart({"token": token}))
    answer = app_client.post(f"/v1/mfa-reset/{case_id}/documents", headers=FORM, content=body)
    assert answer.status_code == 400 and answer.json()["code"] == "token.invalid"
    assert "before the file" in answer.json()["detail"]


def test_the_page_checks_the_case_link_before_the_file_arrives(app_client, open_case) -> None:
    case_id, token = open_case
    page = app_client.get(f"/recovery/case?case={case_id}&token={token}")
    fields = {"csrf_token": hidden(page.text), "case": case_id, "token": WRONG, "kind": "id_front"}
    head, file_part = multipart(fields, png()).split(b"\x89PNG", 1)
    watch = BodyWatch(app_client.app, [head + b"\x89PNG", file_part])
    client = TestClient(watch, raise_server_exceptions=False, cookies=app_client.cookies)
    answer = client.post("/recovery/case/documents", headers=FORM, content=b"served by the watch")
    assert answer.status_code == 400 and "Link not valid" in answer.text
    assert watch.asked == 1
    # With the right link, the same form uploads.
    fields["token"] = token
    done = app_client.post("/recovery/case/documents", headers=FORM, content=multipart(fields, png()),
                           follow_redirects=False)
    assert done.status_code == 303 and "done=uploaded" in done.headers["location"]


def test_fields_sent_again_after_the_file_are_refused(app_client, open_case, enrolled, mailbox) -> None:
    """The case and link admitted are those sent before the file: sent again after it, they named
    another case, which got the file while the first spent its upload allowance (attack round 9)."""
    case_id, token = open_case
    other = enrolled()
    app_client.post("/v1/mfa-reset", json={"email": other["email"], "password": DEFAULT_PASSWORD})
    other_case, other_token = case_link(mailbox, other["email"])
    page = app_client.get(f"/recovery/case?case={case_id}&token={token}")
    fields = {"csrf_token": hidden(page.text), "case": case_id, "token": token, "kind": "id_front"}
    body = multipart(fields, png()).replace(f"--{BOUNDARY}--".encode(),
                                            multipart({"case": other_case, "token": other_token}))
    answer = app_client.post("/recovery/case/documents", headers=FORM, content=body, follow_redirects=False)
    assert answer.status_code == 422 and "Send each field of the form once" in answer.text
    assert "Received" not in app_client.get(f"/recovery/case?case={other_case}&token={other_token}").text
    api = multipart({"kind": "id_front"}, png()).replace(f"--{BOUNDARY}--".encode(), multipart({"kind": "selfie"}))
    refused = app_client.post(f"/v1/mfa-reset/{case_id}/documents", headers={**FORM, "X-Case-Token": token},
                              content=api)
    assert refused.json()["code"] == "request.invalid" and "once" in refused.json()["detail"]


def test_files_are_checked_a_few_at_a_time_off_the_shared_thread_pool(app_client, open_case, monkeypatch) -> None:
    """Uploads arriving together wait on the event loop for one of FILE_CHECKS places, rather than
    each taking a thread of the pool every synchronous route shares (attack round 9); and one host
    has at most CHECKS_PER_HOST waiting or running: small files take no upload place, and 26 from one
    address made others wait (round 10)."""
    case_id, token = open_case
    in_flight = InFlight()
    stored = api_cases.add_document

    def slow_check(*args):  # type: ignore[no-untyped-def]
        in_flight.hold(0.2)
        return stored(*args)

    monkeypatch.setattr(api_cases, "add_document", slow_check)

    async def together() -> list[int]:
        hosts = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.1"]  # the first, three at once
        clients = {ip: httpx.AsyncClient(transport=httpx.ASGITransport(app=app_client.app, client=(ip, 50000)),
                                         base_url="http://testserver") for ip in set(hosts)}
        try:
            answers = await asyncio.gather(*(clients[ip].post(
                f"/v1/mfa-reset/{case_id}/documents", headers={**FORM, "X-Case-Token": token},
                content=multipart({"kind": kind}, png())) for ip in hosts for kind in ("id_front", "selfie")))
        finally:
            for client in clients.values():
                await client.aclose()
        return [answer.status_code for answer in answers]

    statuses = asyncio.run(together())
    assert sorted(statuses) == [201] * 6 + [429] * 2, statuses  # the first host's third and fourth
    assert in_flight.most == FILE_CHECKS


def test_a_forms_files_are_held_twice_one_at_a_time_at_most() -> None:
    """Their buffers are let go as their copies are made: copied all at once, 16 forms of three 10 MB
    files took the server to 865 MB (attack round 11)."""
    reader = _Reader(("id_front", "id_back", "selfie"), MAX_BYTES)
    tracemalloc.start()
    try:
        for name in reader.file_fields:
            reader.files[name] = bytearray(2 * 1024 * 1024)
        reader.file = reader.files["selfie"]
        tracemalloc.reset_peak()
        files = reader.take_files()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [len(content) for content in files.values()] == [2 * 1024 * 1024] * 3
    assert peak < 9 * 1024 * 1024, peak  # the three buffers (6 MiB) and one copy, not three


def test_malformed_forms_are_refused_with_a_reason(app_client, open_case) -> None:
    case_id, token = open_case
    path, headers = f"/v1/mfa-reset/{case_id}/documents", {"X-Case-Token": token}
    for content, content_type in (
        (b"kind=id_front", "application/x-www-form-urlencoded"),
        (b"--x\r\nno headers at all", "multipart/form-data; boundary=x"),
        (multipart({"kind": "id_front"}, png()) + b"", f"multipart/form-data; boundary={'b' * 300}"),
        (multipart({"kind": "id_front"}, png())[:-40], FORM["Content-Type"]),  # cut short
        (multipart({"kind": "id_front", "f1": "1", "f2": "2", "f3": "3", "f4": "4", "f5": "5", "f6": "6", "f7": "7",
                    "f8": "8"}, png()), FORM["Content-Type"]),
        (multipart({"kind": "x" * 5000}, png()), FORM["Content-Type"]),
        (multipart({"kind": "id_front"}), FORM["Content-Type"]),  # no file
    ):
        answer = app_client.post(path, headers={**headers, "Content-Type": content_type}, content=content)
        assert answer.status_code in (400, 422), (content[:60], answer.text)
        assert answer.json()["code"] == "request.invalid", answer.text
    two_files = multipart({"kind": "id_front"}, png()).replace(f"--{BOUNDARY}--\r\n".encode(),
                                                              multipart({}, png())[:-len(BOUNDARY) - 6] +
                                                              f"--{BOUNDARY}--\r\n".encode())
    assert app_client.post(path, headers={**headers, **FORM}, content=two_files).json()["code"] == "request.invalid"


def test_uploads_are_limited_per_case_and_per_ip(lab_factory) -> None:  # noqa: F811
    lab = lab_factory(rate_limits="2/1h/upload_case,4/1h/upload_ip")
    case_id, token = lab.open_case(lab.enrolled())
    assert [upload(lab.client, case_id, token, "id_front", png()).status_code for _ in range(3)] == [201, 201, 429]
    # Wrong links count against the IP before they are even looked up.
    assert upload(lab.client, case_id, WRONG, "id_front", png()).json()["code"] == "token.invalid"
    refused = upload(lab.client, case_id, WRONG, "id_front", png())
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited" and refused.headers["retry-after"]


# --- A live server -------------------------------------------------------------------------------


@pytest.fixture
def live_server(services) -> Iterator[int]:  # type: ignore[no-untyped-def]
    from bastion.web.app import create_app

    with serving(create_app(services, deliver_mail=False)) as port:
        yield port


def answer_before_the_body(port: int, head: bytes, first_part: bytes = b"") -> bytes:
    """Send the request's head (announcing 10 MB) and at most the form's first part, then read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head + first_part)
        answer = b""
        while b"\r\n\r\n" not in answer or (not answer.rstrip().endswith(b"}") and b"</html>" not in answer):
            chunk = connection.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_a_live_server_answers_a_wrong_link_while_the_10_mb_are_still_to_come(live_server, app_client,
                                                                            open_case) -> None:
    case_id, _ = open_case
    announced = 10 * 1024 * 1024
    head = (f"POST /v1/mfa-reset/{case_id}/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Case-Token: {WRONG}\r\n"
            f"Content-Type: {FORM['Content-Type']}\r\nContent-Length: {announced}\r\n\r\n").encode()
    answer = answer_before_the_body(live_server, head)
    assert answer.startswith(b"HTTP/1.1 400") and b'"code":"token.invalid"' in answer, answer[:400]

    page = app_client.get(f"/recovery/case?case={case_id}&token={open_case[1]}")
    fields = {"csrf_token": hidden(page.text), "case": case_id, "token": WRONG, "kind": "id_front"}
    first_part = multipart(fields, b"")[: -len(f"\r\n--{BOUNDARY}--\r\n")]
    cookie = "; ".join(f"{name}={value}" for name, value in app_client.cookies.items())
    head = (f"POST /recovery/case/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
            f"Content-Type: {FORM['Content-Type']}\r\nContent-Length: {announced}\r\n\r\n").encode()
    answer = answer_before_the_body(live_server, head, first_part)
    assert answer.startswith(b"HTTP/1.1 400") and b"Link not valid" in answer, answer[:400]


@pytest.mark.parametrize("shape", ["filler after the form's end", "filler before the form"])
def test_a_body_that_never_reaches_a_file_is_refused_within_its_first_bytes(app_client, open_case, shape) -> None:
    """The case is checked when the file's part begins: a body that never began one (the closing
    boundary, then megabytes of filler) was read to its end unchecked, holding an upload place."""
    case_id, _token = open_case
    filler = b"f" * (5 * 64 * 1024)
    pieces = [filler[start:start + 16384] for start in range(0, len(filler), 16384)]
    if shape == "filler after the form's end":
        chunks = [f"--{BOUNDARY}--\r\n".encode(), *pieces]
    else:  # a preamble, which the parser skips
        chunks = [*pieces, b"\r\n" + multipart({"kind": "id_front"}, png())]
    watch = BodyWatch(app_client.app, chunks)
    answer = TestClient(watch, raise_server_exceptions=False).post(
        f"/v1/mfa-reset/{case_id}/documents", headers=FORM, content=b"served by the watch")
    assert answer.status_code == 422 and answer.json()["code"] == "request.invalid"
    assert watch.asked < len(chunks) // 2  # refused long before the filler's end


def test_a_form_refused_for_its_fields_is_parsed_no_further_than_a_piece_past_its_problem(
        app_client, open_case, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """64 KiB of tiny parts, read at once and parsed whole, cost the parser 11 ms before the form was
    refused (too many fields): parsed a piece at a time until admitted, it stops within a piece."""
    from bastion.web import uploads

    began = []
    real = uploads._Reader.on_part_begin
    monkeypatch.setattr(uploads._Reader, "on_part_begin", lambda reader: (began.append(1), real(reader))[1])
    case_id, _token = open_case
    part = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n".encode()
    tiny_parts = part * (64 * 1024 // len(part))
    answer = app_client.post(f"/v1/mfa-reset/{case_id}/documents", headers=FORM, content=tiny_parts)
    assert answer.status_code in (400, 422) and answer.json()["code"] == "request.invalid"
    assert len(began) <= uploads.PARSED_BEFORE_ADMISSION // len(part) + 1 < len(tiny_parts) // len(part) // 10


def test_an_upload_refused_for_its_form_spends_its_address_budget_all_the_same(lab_factory) -> None:  # noqa: F811
    """Forms refused before their case was checked (too many fields) spent nothing: anyone could send
    them without end, each costing the parser milliseconds."""
    lab = lab_factory(rate_limits="2/1h/upload_ip")
    case_id, token = lab.open_case(lab.enrolled())
    too_many = multipart({f"f{index}": "x" for index in range(12)}, png())
    for _ in range(2):
        refused = lab.client.post(f"/v1/mfa-reset/{case_id}/documents", headers=FORM, content=too_many)
        assert refused.json()["code"] == "request.invalid"
    answer = upload(lab.client, case_id, token, "id_front", png())
    assert answer.status_code == 429 and answer.json()["code"] == "rate_limited"
    page = lab.client.post("/recovery/case/documents", headers=FORM, content=too_many)
    assert "rate" in page.text.lower() or page.status_code == 429


def test_a_file_made_of_near_delimiters_is_refused_as_soon_as_it_holds_more_than_the_form_may(
        app_client, open_case) -> None:  # type: ignore[no-untyped-def]
    """RFC 2046 forbids a part to hold its form's delimiter at a line's start. A file of CRLF "--"
    boundary "X", repeated, made the parser handle each match in Python: 4.4 s of the event loop for
    three 10 MB files. The delimiters are counted ahead of the parser; past the form's parts, refused."""
    case_id, token = open_case
    start = multipart({"kind": "id_front"}, b"")[: -len(f"\r\n--{BOUNDARY}--\r\n")]
    near = (f"\r\n--{BOUNDARY}X".encode()) * 4000
    chunks = [start, *[near] * 100, f"\r\n--{BOUNDARY}--\r\n".encode()]
    watch = BodyWatch(app_client.app, chunks)
    answer = TestClient(watch, raise_server_exceptions=False).post(
        f"/v1/mfa-reset/{case_id}/documents", headers={**FORM, "X-Case-Token": token}, content=b"by the watch")
    assert answer.status_code in (400, 422) and answer.json()["code"] == "request.invalid", answer.text
    assert watch.asked <= 3  # refused in the first piece that held them


def test_delimiters_split_between_reads_are_counted_once() -> None:
    from bastion.errors import BastionError
    from bastion.web.uploads import _Delimiters

    body = (b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b\r\n"
            b"Content-Disposition: form-data; name=\"file\"; filename=\"f\"\r\n\r\n\r\n-\r\n--\r\n--b--\r\n")
    padded = body.replace(b"x\r\n--b\r\n", b"x\r\n--b \t \r\n")  # transport padding, as the RFC allows
    for form in (body, padded):
        for cut in range(len(form) + 1):
            counted = _Delimiters(b"b", parts=0)
            counted.count(form[:cut])
            counted.count(form[cut:])
            assert counted.seen == 3, cut  # the first (at the body's start), the file's, the end
    for bad in (b"--b" + b" " * 17 + b"\r\n", b"x\r\n--bX", b"x\r\n--b \r-"):
        for cut in range(len(bad) + 1):
            with pytest.raises(BastionError):
                counted = _Delimiters(b"b", parts=0)
                counted.count(bad[:cut])
                counted.count(bad[cut:])
                counted.count(b"more")


def test_spaces_after_a_delimiter_are_refused_before_the_parser_steps_through_them(app_client, open_case) -> None:  # type: ignore[no-untyped-def]
    """The parser reads the transport padding after a delimiter a byte at a time in Python: 10 MB
    of spaces after one cost 2.3 s of the event loop. At most a few are let through."""
    case_id, token = open_case
    start = multipart({"kind": "id_front"}, b"x" * 100)[: -len(f"--{BOUNDARY}--\r\n")]
    chunks = [start + f"\r\n--{BOUNDARY}".encode(), *[b" " * 65536] * 100, b"\r\n"]
    watch = BodyWatch(app_client.app, chunks)
    answer = TestClient(watch, raise_server_exceptions=False).post(
        f"/v1/mfa-reset/{case_id}/documents", headers={**FORM, "X-Case-Token": token}, content=b"by the watch")
    assert answer.status_code in (400, 422) and answer.json()["code"] == "request.invalid", answer.text
    assert watch.asked <= 3


def test_an_ipv6_hosts_upload_budget_is_its_64s(lab_factory) -> None:  # noqa: F811
    """A host is commonly given a whole /64: one budget per address gave it as many as it liked."""
    from bastion.context import Client, host_of
    from bastion.errors import BastionError
    from bastion.recovery.cases import spend_upload_attempt

    assert host_of("2001:db8:1:2::9") == host_of("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert host_of("::ffff:192.0.2.7") == "192.0.2.7" and host_of("192.0.2.7") == "192.0.2.7"
    lab = lab_factory(rate_limits="1/1h/upload_ip")
    spend_upload_attempt(lab.services, Client(ip="2001:db8:1:2::9"))
    with pytest.raises(BastionError):
        spend_upload_attempt(lab.services, Client(ip="2001:db8:1:2:ffff::1"))
    spend_upload_attempt(lab.services, Client(ip="2001:db8:1:3::9"))  # another host
