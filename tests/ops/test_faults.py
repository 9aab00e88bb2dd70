"""Degradation with real processes: SMTP down and back, PostgreSQL connections killed, SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2 as httpx
import psycopg
from fastapi.testclient import TestClient

from bastion.accounts.signup import sign_up
from bastion.context import Client
from bastion.crypto import generate_key
from bastion.notify.delivery import deliver_due
from bastion.notify.transport import SmtpTransport
from bastion.startup import build_services
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD, PG_ADMIN_DSN, fresh_database
from tests.live import wait_until_ready
from tests.notify import SmtpSink, free_port


def test_mail_queued_while_smtp_is_down_arrives_exactly_once_when_it_returns(services, clock) -> None:
    sink = SmtpSink().start()
    transport = SmtpTransport(sink.url, timeout=2)
    sink.stop()  # the mail server goes away
    addresses = [f"waiting{n}@example.com" for n in range(3)]
    for address in addresses:
        sign_up(services, address, DEFAULT_PASSWORD, Client(ip="192.0.2.1"))
    assert deliver_due(services, transport) == 0  # nothing sent, nothing lost
    restarted = SmtpSink(port=sink.port).start()
    try:
        clock.advance(seconds=31)  # past the first backoff
        assert deliver_due(services, transport) == 3
        clock.advance(hours=2)
        assert deliver_due(services, transport) == 0
        for address in addresses:
            assert len(restarted.wait_for(address)) == 1
        assert len(restarted.messages()) == 3
    finally:
        restarted.stop()


def test_killed_postgresql_connections_recover_without_a_restart(request, tmp_path, settings_factory,
                                                                 clock) -> None:
    with fresh_database("postgresql", request, tmp_path) as url:
        services = build_services(settings_factory(database_url=url), clock=clock)
        from bastion.accounts.admin import create_account

        create_account(services, "steady@example.com", DEFAULT_PASSWORD, roles=[], verified=True)
        database = url.rsplit("/", 1)[1]
        with TestClient(create_app(services, deliver_mail=False), raise_server_exceptions=False) as client:
            def login() -> int:
                return client.post("/v1/login", json={"email": "steady@example.com",
                                                      "password": DEFAULT_PASSWORD}).status_code

            assert login() == 200
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
                killed = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
                    (database,)).fetchone()[0]
            assert killed >= 1
            statuses = [login() for _ in range(5)]
            assert 500 not in statuses
            assert statuses[-1] == 200  # recovered by itself, no restart
        services.close()


def test_sigterm_lets_in_flight_requests_finish(tmp_path: Path) -> None:
    port = free_port()
    bastion = Path(sys.executable).with_name("bastion")
    env = {key: value for key, value in os.environ.items() if not key.startswith("BASTION_")}
    # Deliberately slow hashing, so a sign-in is still in flight when SIGTERM arrives.
    env.update(BASTION_DATA_DIR=str(tmp_path), BASTION_SECRET_KEYS=generate_key(),
               BASTION_ARGON2_TIME_COST="40", BASTION_ARGON2_MEMORY_KIB="65536")
    server = subprocess.Popen([str(bastion), "serve", "--port", str(port), "--workers", "2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, server)
        answers: list[int] = []
        started = time.monotonic()

        def slow_sign_in() -> None:
            answers.append(httpx.post(f"{base}/v1/login", json={"email": "nobody@example.com",
                                                                "password": "any password at all"},
                                      timeout=60).status_code)

        caller = threading.Thread(target=slow_sign_in)
        caller.start()
        time.sleep(0.3)  # the request is in flight (one hash takes well over a second)
        server.send_signal(signal.SIGTERM)
        caller.join(60)
        assert answers == [401]  # answered, not cut off
        assert server.wait(30) == 0
        assert time.monotonic() - started > 0.3
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
