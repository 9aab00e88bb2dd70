"""The whole journey over a real socket: uvicorn serving the app, mail delivered by its outbox worker
over SMTP to a real sink (aiosmtpd), every answer read the way a platform's app reads it.

sign up → confirmation email (MIME) → confirm → sign in → whoami → sessions → step-up change and its
email → sign in again → end the first session → the first token is refused and introspects inactive.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx2 as httpx
import pytest
import uvicorn
from sqlalchemy import select

from bastion.clock import MovableClock
from bastion.config import Settings
from bastion.notify.models import OutboxMessage
from bastion.services import Services
from bastion.sessions.service_keys import create_service_key
from bastion.startup import build_services
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD, link_token
from tests.notify import SmtpSink, free_port, parts

MAIL_FROM = "security@bastion.test"
REFERENCE = re.compile(r"^R-[0-9A-HJKMNP-TV-Z]{8}$")


@dataclass
class Live:
    base_url: str
    http: httpx.Client
    services: Services
    clock: MovableClock
    smtp: SmtpSink


@pytest.fixture
def live(database_url: str, settings_factory: Callable[..., Settings], clock: MovableClock) -> Iterator[Live]:
    smtp = SmtpSink().start()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    services = build_services(
        settings_factory(database_url=database_url, smtp_url=smtp.url, outbox_poll_seconds=0.05,
                         public_url=base_url, mail_from=MAIL_FROM),
        clock=clock,
    )
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port,
                                           log_level="warning", ws="none", lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-journey", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive(), "uvicorn stopped while starting"
            assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
            time.sleep(0.02)
        with httpx.Client(base_url=base_url, timeout=10) as http:
            yield Live(base_url, http, services, clock, smtp)
    finally:
        server.should_exit = True
        thread.join(10)
        smtp.stop()
        services.close()
    assert not thread.is_alive(), "uvicorn did not stop"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(answer: httpx.Response, status: int, code: str) -> dict:  # type: ignore[type-arg]
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"https://bastion.dev/problems/{code}"
    assert REFERENCE.match(body["reference"]), body["reference"]
    assert body["help"] and all(isinstance(step, str) and step for step in body["help"])
    return body


def sign_up_and_confirm(live: Live, email: str) -> None:
    """Sign up through the API, read the confirmation email off the SMTP sink and follow its link."""
    answer = live.http.post("/v1/accounts", json={"email": email, "password": DEFAULT_PASSWORD})
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"status": "verification_sent"}

    [received] = live.smtp.wait_for(email)
    assert received.mail_from == MAIL_FROM
    assert received.rcpt_tos == [email]
    message = received.message
    assert message["From"] == MAIL_FROM
    assert message["To"] == email
    assert message["Subject"] == "Confirm your email address"
    assert message["Message-ID"] and message["Date"]
    text, html = parts(message)
    # No anti-phishing code set yet: both parts open with the tip to set one.
    assert text.startswith("Tip: set an anti-phishing code"), text[:200]
    assert "Tip: set an" in html and "anti-phishing code" in html
    assert html.index("Tip: set an") < html.index("<h1")
    # The link points at this very server, and both parts carry the same one.
    token = link_token(text, path=f"{live.base_url}/confirm?token=")
    assert f'href="{live.base_url}/confirm?token={token}"' in html
    assert DEFAULT_PASSWORD not in text and DEFAULT_PASSWORD not in html

    confirmed = live.http.post("/v1/accounts/verify-email", json={"token": token})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json() == {"status": "verified"}
    # The link acts once.
    assert_problem(live.http.post("/v1/accounts/verify-email", json={"token": token}), 400, "token.invalid")


def sign_in(live: Live, email: str, user_agent: str) -> dict:  # type: ignore[type-arg]
    answer = live.http.post("/v1/login", json={"email": email, "password": DEFAULT_PASSWORD},
                            headers={"User-Agent": user_agent})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "authenticated"
    assert body["account"]["email"] == email
    assert body["session"]["token"].startswith("bst_")
    return body


def whoami(live: Live, token: str) -> dict:  # type: ignore[type-arg]
    answer = live.http.get("/v1/session", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_sign_up_confirm_sign_in_and_end_a_session_from_another(live: Live) -> None:
    email = "journey@example.com"
    sign_up_and_confirm(live, email)

    # Before confirming, nobody could sign in; now the first session.
    first = sign_in(live, email, "JourneyLaptop/1.0")
    first_token = first["session"]["token"]
    me = whoami(live, first_token)
    assert me["account"] == first["account"]
    assert me["session"]["aal"] == 1
    assert at(me["session"]["created_at"]) == live.clock.now()
    assert at(me["session"]["expires_at"]) == live.clock.now() + timedelta(hours=12)
    assert at(me["session"]["idle_expires_at"]) == live.clock.now() + timedelta(minutes=30)
    assert me["restrictions"] == []
    first_id = me["session"]["id"]

    listed = live.http.get("/v1/me/sessions", headers=bearer(first_token))
    assert listed.status_code == 200, listed.text
    [only] = listed.json()["sessions"]
    assert only["id"] == first_id
    assert only["current"] is True
    assert only["ip"] == "127.0.0.1"
    assert only["user_agent"] == "JourneyLaptop/1.0"

    # A second sign-in gets a new session with a new token.
    live.clock.advance(seconds=5)
    second = sign_in(live, email, "JourneyPhone/2.0")
    second_token = second["session"]["token"]
    assert second_token != first_token
    second_id = whoami(live, second_token)["session"]["id"]
    assert second_id != first_id
    listed = live.http.get("/v1/me/sessions", headers=bearer(second_token)).json()["sessions"]
    assert [(item["id"], item["current"], item["user_agent"]) for item in listed] == [
        (second_id, True, "JourneyPhone/2.0"), (first_id, False, "JourneyLaptop/1.0")]

    # The phone ends the laptop's session.
    ended = live.http.delete(f"/v1/me/sessions/{first_id}", headers=bearer(second_token))
    assert ended.status_code == 204, ended.text
    assert_problem(live.http.get("/v1/session", headers=bearer(first_token)), 401, "session.revoked")
    assert_problem(live.http.get("/v1/me/sessions", headers=bearer(first_token)), 401, "session.revoked")
    assert_problem(live.http.delete(f"/v1/me/sessions/{first_id}", headers=bearer(second_token)),
                   404, "resource.not_found")
    listed = live.http.get("/v1/me/sessions", headers=bearer(second_token)).json()["sessions"]
    assert [item["id"] for item in listed] == [second_id]

    # The platform's services see the same thing through introspection.
    service_key, _view = create_service_key(live.services, "platform")
    active = live.http.post("/v1/introspect", json={"token": second_token}, headers=bearer(service_key))
    assert active.status_code == 200, active.text
    body = active.json()
    assert body["active"] is True
    assert body["account_id"] == second["account"]["id"]
    assert body["session_id"] == second_id
    assert body["aal"] == 1
    assert body["restrictions"] == []
    assert at(body["expires_at"]) == live.clock.now() + timedelta(minutes=30)

    revoked = live.http.post("/v1/introspect", json={"token": first_token}, headers=bearer(service_key))
    assert revoked.status_code == 200, revoked.text
    # Nothing about a dead session leaks: only `active: false` carries a value.
    assert {key: value for key, value in revoked.json().items() if value not in (None, [])} == {"active": False}
    unknown = live.http.post("/v1/introspect", json={"token": "bst_" + "x" * 43}, headers=bearer(service_key))
    assert unknown.json()["active"] is False

    for headers in (bearer("bsk_not-a-real-key"), bearer(second_token), {}):
        assert_problem(live.http.post("/v1/introspect", json={"token": second_token}, headers=headers),
                       401, "service_key.invalid")

    # Signing out ends the phone's session too.
    assert live.http.post("/v1/logout", headers=bearer(second_token)).status_code == 204
    assert_problem(live.http.get("/v1/session", headers=bearer(second_token)), 401, "session.revoked")
    gone = live.http.post("/v1/introspect", json={"token": second_token}, headers=bearer(service_key))
    assert gone.json()["active"] is False


def test_anti_phishing_code_needs_a_recent_sign_in_and_its_email_shows_the_code_on_top(live: Live) -> None:
    email = "careful@example.com"
    sign_up_and_confirm(live, email)
    token = sign_in(live, email, "CarefulLaptop/1.0")["session"]["token"]

    # Right after signing in the step-up window is open.
    changed = live.http.put("/v1/me/anti-phishing-code", json={"code": "BLUE-OTTER-7"}, headers=bearer(token))
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"status": "updated"}

    notice = live.smtp.wait_for(email, count=2)[-1].message
    assert notice["Subject"] == "Your anti-phishing code was changed"
    assert notice["To"] == email
    text, html = parts(notice)
    assert text.startswith("Anti-phishing code: BLUE-OTTER-7\n"), text[:200]
    assert html.index("BLUE-OTTER-7") < html.index("<h1")
    assert "Tip: set an" not in text and "Tip: set an" not in html
    assert "127.0.0.1" in text

    # Five minutes later the window has closed: the change needs the password again.
    live.clock.advance(minutes=5, seconds=1)
    refused = assert_problem(
        live.http.put("/v1/me/anti-phishing-code", json={"code": "GREEN-HERON-3"}, headers=bearer(token)),
        403, "reauth.required")
    assert "BLUE-OTTER-7" not in str(refused) and "GREEN-HERON-3" not in str(refused)
    assert_problem(live.http.post("/v1/reauth", json={"password": "not the password at all"}, headers=bearer(token)),
                   401, "reauth.failed")
    assert_problem(
        live.http.put("/v1/me/anti-phishing-code", json={"code": "GREEN-HERON-3"}, headers=bearer(token)),
        403, "reauth.required")

    reauth = live.http.post("/v1/reauth", json={"password": DEFAULT_PASSWORD}, headers=bearer(token))
    assert reauth.status_code == 200, reauth.text
    assert reauth.json() == {"status": "reauthenticated"}
    again = live.http.put("/v1/me/anti-phishing-code", json={"code": "GREEN-HERON-3"}, headers=bearer(token))
    assert again.status_code == 200, again.text

    # The next email already carries the new code, and only that one.
    text, html = parts(live.smtp.wait_for(email, count=3)[-1].message)
    assert text.startswith("Anti-phishing code: GREEN-HERON-3\n"), text[:200]
    assert html.index("GREEN-HERON-3") < html.index("<h1")
    assert "BLUE-OTTER-7" not in text and "BLUE-OTTER-7" not in html
    # Exactly the three messages, each marked sent after one attempt: the worker will not send them again.
    rows = wait_until_sent(live.services, email, count=3)
    assert [row.attempts for row in rows] == [1, 1, 1]
    assert [row.transport for row in rows] == ["smtp"] * 3
    assert len(live.smtp.messages(email)) == 3


def wait_until_sent(services: Services, email: str, count: int, timeout: float = 10.0) -> list[OutboxMessage]:
    """The worker marks a message sent just after the SMTP server took it: a bounded poll for that write."""
    deadline = time.monotonic() + timeout
    while True:
        with services.db.transaction() as tx:
            rows = list(tx.execute(select(OutboxMessage).where(OutboxMessage.to_address == email)
                                   .order_by(OutboxMessage.id)).scalars())
        if len(rows) == count and all(row.sent_at is not None for row in rows):
            return rows
        assert time.monotonic() < deadline, [(row.template, row.sent_at, row.last_error) for row in rows]
        time.sleep(0.02)
