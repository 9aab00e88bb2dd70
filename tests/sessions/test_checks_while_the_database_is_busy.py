"""The session checks answered from memory never wait for the database's write lock: not for the
maintenance windows' read, not for a refusal's record (written on a worker thread).

Each check must be answered while another connection holds the lock: waiting for it would take
SQLite's busy timeout (`BUSY_TIMEOUT`, 30 s), so `ANSWERED_WITHIN` (well below it) tells the two
apart without timing anything: a starved test machine once took 3.25 s to answer, the lock held.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
BUSY_TIMEOUT = 30  # bastion/store/db.py
ANSWERED_WITHIN = BUSY_TIMEOUT / 3


def call(app: Any, token: str, method: str = "GET", path: str = "/v1/session", body: bytes = b"") -> Any:
    headers = [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())]
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 40000), "headers": headers}

    async def answer() -> int:
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)
        return statuses[0]

    return answer()


REFUSED_ELSEWHERE = {  # (method, path, bearer, body): answered by the exception handlers
    "made-up token": ("GET", "/v1/session", "bst_" + "A" * 43 + "." + "0" * 32, b""),
    "made-up service key": ("POST", "/v1/introspect", "bsk_" + "B" * 43, b'{"token": "x"}'),
    "no such path": ("GET", "/v1/nothing-here", "x", b""),
    "wrong method": ("POST", "/v1/session", "x", b""),
}


@pytest.mark.parametrize("refused", list(REFUSED_ELSEWHERE), ids=list(REFUSED_ELSEWHERE))
def test_a_refusal_recorded_while_a_long_write_runs_holds_up_no_other_check(app_client, account_factory, services,
                                                                            database_url, refused) -> None:
    account = account_factory()
    token = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}
                            ).json()["session"]["token"]
    assert app_client.get("/v1/session", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    app = app_client.app
    method, path, bearer, body = REFUSED_ELSEWHERE[refused]

    async def scenario() -> tuple[int, int]:
        blocker = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None, timeout=BUSY_TIMEOUT)
        # (A refusal recorded on the event loop used to wait here for the lock, up to its 30 s busy
        # timeout, and every other request with it.)
        blocker.execute("BEGIN IMMEDIATE")  # a long write elsewhere: a sweep, a backup, a migration
        try:
            waiting = [asyncio.ensure_future(call(app, bearer, method, path, body)) for _ in range(6)]
            await asyncio.sleep(0.05)  # the refusals are waiting to record themselves
            live = await asyncio.wait_for(call(app, token), timeout=ANSWERED_WITHIN)  # the lock still held
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        return live, (await asyncio.gather(*waiting))[0]

    live, status = asyncio.run(scenario())
    assert live == 200 and status >= 400


def test_a_service_key_due_for_its_use_to_be_noted_answers_while_a_long_write_runs(app_client, account_factory,
                                                                                   services, clock,
                                                                                   database_url) -> None:
    from bastion.sessions.service_keys import create_service_key

    account = account_factory()
    token = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}
                            ).json()["session"]["token"]
    key, _ = create_service_key(services, "platform")
    body = b'{"token": "' + token.encode() + b'"}'
    assert app_client.post("/v1/introspect", content=body, headers={"Authorization": f"Bearer {key}"}
                           ).json()["active"] is True
    clock.advance(seconds=6 * 60)  # past the five minutes: its use is to be noted again

    async def scenario() -> int:
        blocker = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None, timeout=BUSY_TIMEOUT)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            return await asyncio.wait_for(call(app_client.app, key, "POST", "/v1/introspect", body),
                                          timeout=ANSWERED_WITHIN)  # the lock still held
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()

    assert asyncio.run(scenario()) == 200
