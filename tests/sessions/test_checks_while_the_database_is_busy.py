"""The session checks answered from memory never wait for the database's write lock: not for the
maintenance windows' read, not for a refusal's record (written on a worker thread)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

import pytest

from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def call(app: Any, token: str) -> Any:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "path": "/v1/session", "raw_path": b"/v1/session", "query_string": b"", "root_path": "",
             "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 40000),
             "headers": [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())]}

    async def answer() -> int:
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)
        return statuses[0]

    return answer()


def test_a_refusal_recorded_while_a_long_write_runs_holds_up_no_other_check(app_client, account_factory, services,
                                                                            database_url) -> None:
    account = account_factory()
    token = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}
                            ).json()["session"]["token"]
    assert app_client.get("/v1/session", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    app = app_client.app

    async def scenario() -> tuple[int, float, int]:
        blocker = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None, timeout=30)
        # (A made-up token refused on the event loop used to wait here for the lock, up to its
        # 30 s busy timeout, and every other request with it.)
        blocker.execute("BEGIN IMMEDIATE")  # a long write elsewhere: a sweep, a backup, a migration
        try:
            started = time.monotonic()
            refused = asyncio.ensure_future(call(app, "bst_" + "A" * 43 + "." + "0" * 32))
            await asyncio.sleep(0.05)  # the refusal is waiting to record itself
            live = await asyncio.wait_for(call(app, token), timeout=5)
            waited = time.monotonic() - started
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        return live, waited, await refused

    live, waited, refused = asyncio.run(scenario())
    assert (live, refused) == (200, 401)
    assert waited < 1.0
