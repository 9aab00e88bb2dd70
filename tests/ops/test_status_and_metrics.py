"""Status page and API, announcements, readiness, metrics, and a database that goes away."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.exc import OperationalError

from bastion.clock import rfc3339
from bastion.config import ConfigError
from bastion.metrics import start_metrics_listener
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD


def test_announcements_show_between_publish_and_expiry(app_client, staff, clock) -> None:
    headers = staff("admin")["headers"]
    body = {"kind": "phishing_warning", "title": "Fake support calls",
            "body": "We never call you to ask for codes.", "publish_at": rfc3339(clock.now() + timedelta(hours=1)),
            "expires_at": rfc3339(clock.now() + timedelta(days=2))}
    assert app_client.post("/v1/admin/announcements", headers=headers,
                           json={**body, "kind": "gossip"}).status_code == 422
    assert app_client.post("/v1/admin/announcements", headers=headers, json=body).status_code == 201
    assert app_client.get("/v1/status").json()["announcements"] == []
    clock.advance(hours=1)
    live = app_client.get("/v1/status").json()["announcements"]
    assert [item["title"] for item in live] == ["Fake support calls"]
    page = app_client.get("/status")
    assert page.status_code == 200 and "Fake support calls" in page.text and "Phishing warning" in page.text
    clock.advance(days=2)
    assert app_client.get("/v1/status").json()["announcements"] == []


def test_readyz_reports_the_database(app_client) -> None:
    assert app_client.get("/readyz").json() == {"status": "ready", "database": "ok"}
    assert app_client.get("/healthz").json() == {"status": "ok"}


METRICS_TOKEN = "m" * 40
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def scrape(client: TestClient, prefix: str) -> dict[str, float]:
    """The metrics whose lines start with `prefix`, by name (labels included)."""
    text = client.get("/metrics", headers=SCRAPER).text
    return {name: float(value) for name, value in (line.rsplit(" ", 1) for line in text.splitlines()
                                                   if line.startswith(prefix))}


@pytest.fixture
def scraped(services, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The services with a metrics token set, as BASTION_METRICS_TOKEN would."""
    monkeypatch.setattr(services.settings, "metrics_token", SecretStr(METRICS_TOKEN))
    return services


def test_metrics_count_sign_ins_lockouts_and_mail(scraped, account_factory) -> None:
    with TestClient(create_app(scraped, deliver_mail=False)) as client:
        def value(name: str, **labels: str) -> float:
            text = client.get("/metrics", headers=SCRAPER).text
            wanted = ",".join(f'{key}="{val}"' for key, val in labels.items())
            for line in text.splitlines():
                if line.startswith(f"{name}{{") and all(part in line for part in wanted.split(",")):
                    return float(line.rsplit(" ", 1)[1])
            return 0.0

        account = account_factory()
        before = {
            "ok": value("bastion_sign_in_attempts_total", method="password", outcome="success"),
            "bad": value("bastion_sign_in_attempts_total", method="password", outcome="failure",
                         code="credentials.invalid"),
            "locks": value("bastion_lockouts_total", scope="device"),
            "mail": value("bastion_emails_total", event="queued"),
            "latency": value("bastion_request_seconds_count", route="/v1/login", status="2xx"),
        }
        client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD})
        for _ in range(5):
            client.post("/v1/login", json={"email": account["email"], "password": "wrong password again"})
        assert value("bastion_sign_in_attempts_total", method="password", outcome="success") == before["ok"] + 1
        assert value("bastion_sign_in_attempts_total", method="password", outcome="failure",
                     code="credentials.invalid") == before["bad"] + 5
        # The first sign-in gave this client a device cookie: its failures pause that device.
        assert value("bastion_lockouts_total", scope="device") == before["locks"] + 1
        assert value("bastion_emails_total", event="queued") == before["mail"] + 1  # the lockout email
        assert value("bastion_request_seconds_count", route="/v1/login", status="2xx") == before["latency"] + 1


def test_metrics_show_the_hash_queue(scraped) -> None:
    services = scraped
    services.hash_gate.hash_time.weight = 0.0  # the estimate stays as set
    services.hash_gate.hash_time.seconds = 0.25
    with TestClient(create_app(services, deliver_mail=False)) as client:
        while services.hash_gate.reserve() is not None:  # sign-ins on their way fill it past the budget
            pass
        lines = scrape(client, "bastion_admission")
    queued = lines["bastion_admission_queued"]
    assert queued >= 3 and lines["bastion_admission_running"] == 0
    assert lines["bastion_admission_hash_seconds"] == 0.25
    concurrency = services.hash_gate.concurrency
    assert lines["bastion_admission_expected_wait_seconds"] == (queued + 1 - concurrency) * 0.25 / concurrency
    assert lines['bastion_admission_refused_total{reason="wait_over_budget"}'] >= 1


def test_metrics_count_each_hash_and_the_cpu_it_took(scraped) -> None:
    """Wall time far above CPU time: hashes wait for the cores; CPU above the measurement at
    start-up: other work on the core slows the hash (bench/password_signin.py reads both)."""
    services = scraped
    with TestClient(create_app(services, deliver_mail=False)) as client:
        def hashing() -> tuple[float, float]:
            lines = scrape(client, "bastion_password_hash")
            return lines["bastion_password_hashes_total"], lines["bastion_password_hash_cpu_seconds_total"]

        before = hashing()
        services.hash_gate.run(True, lambda: sum(range(200_000)))  # CPU-bound work standing in for a hash
        services.hash_gate.run(False, lambda: time.sleep(0.2))  # a wait: no CPU to count
        after = hashing()
    assert after[0] == before[0] + 2
    assert 0 < after[1] - before[1] < 0.2  # the sleep's 0.2 s were not CPU


def test_without_a_metrics_token_the_app_serves_no_metrics_even_to_loopback(services) -> None:
    """Issue 18, finding 8: a reverse proxy on the same host makes every visitor a loopback peer."""
    with TestClient(create_app(services, deliver_mail=False), client=("127.0.0.1", 5000)) as client:
        answer = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert answer.status_code == 404 and answer.json()["code"] == "resource.not_found"


def test_metrics_need_the_token_from_anywhere(scraped) -> None:
    with TestClient(create_app(scraped, deliver_mail=False), client=("127.0.0.1", 5000)) as client:
        for headers in ({}, {"Authorization": "Bearer " + "x" * 40}, {"Authorization": METRICS_TOKEN},
                        {"Authorization": f"Basic {METRICS_TOKEN}"}):
            answer = client.get("/metrics", headers=headers)
            assert answer.status_code == 403 and answer.json()["code"] == "permission.denied", headers
            assert METRICS_TOKEN not in answer.text
        answer = client.get("/metrics", headers=SCRAPER)
    assert answer.status_code == 200 and "bastion_admission_queued" in answer.text


def test_the_metrics_listener_serves_them_on_its_own_port(settings_factory) -> None:
    assert start_metrics_listener(settings_factory(), workers=1) is None  # off by default
    server = start_metrics_listener(settings_factory(metrics_listen="127.0.0.1:0"), workers=1)
    assert server is not None
    try:
        answer = httpx.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5)
        assert answer.status_code == 200 and "bastion_admission_queued" in answer.text
    finally:
        server.shutdown()
        server.server_close()


def test_the_metrics_listener_with_several_workers_needs_the_shared_directory(settings_factory, monkeypatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with pytest.raises(ConfigError, match="PROMETHEUS_MULTIPROC_DIR"):
        start_metrics_listener(settings_factory(metrics_listen="127.0.0.1:0"), workers=2)


@pytest.mark.parametrize("value", ["9464", "localhost", "127.0.0.1:http", "127.0.0.1:70000", ":9464"])
def test_a_metrics_listener_address_that_is_not_host_and_port_is_refused(settings_factory, value: str) -> None:
    with pytest.raises(ConfigError):
        settings_factory(metrics_listen=value)


def test_a_short_metrics_token_is_refused(settings_factory) -> None:
    with pytest.raises(ConfigError, match="32 characters"):
        settings_factory(metrics_token="short")


def test_an_unreachable_database_answers_a_fast_503_not_a_500(services, monkeypatch) -> None:
    with TestClient(create_app(services, deliver_mail=False), raise_server_exceptions=False) as client:
        def down(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

        monkeypatch.setattr(services.db, "transaction", down)
        answer = client.post("/v1/login", json={"email": "a@example.com", "password": "whatever it is"})
        assert answer.status_code == 503 and answer.json()["code"] == "service.unavailable"
        assert answer.headers["retry-after"] == "5"
        monkeypatch.undo()
        assert client.post("/v1/login", json={"email": "a@example.com",
                                              "password": "whatever it is"}).json()["code"] == "credentials.invalid"
