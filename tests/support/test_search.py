"""Support's one search: by email, account or case id, reference, IP address or network, device — each
account with what matched; emails with no account tried from an address are listed apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.accounts.admin import create_account
from bastion.accounts.models import Device
from bastion.mfa.totp import otp as totp
from bastion.mfa.totp import repo as totp_repo
from bastion.startup import build_services
from bastion.web.app import create_app
from bastion.web.client import sign_device_id
from tests.conftest import DEFAULT_PASSWORD, make_staff
from tests.support.conftest import open_ready_case


@pytest.fixture
def proxied(database_url, settings_factory, clock) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """The app behind a trusted proxy, so tests sign in "from" any address (X-Forwarded-For)."""
    services = build_services(settings_factory(database_url=database_url, trusted_proxies="127.0.0.1/32"), clock=clock)
    with TestClient(create_app(services, deliver_mail=False), client=("127.0.0.1", 40000),
                    raise_server_exceptions=False) as client:
        client.services, client.clock = services, clock  # type: ignore[attr-defined]
        yield client
    services.close()


def find(client, agent, query):  # type: ignore[no-untyped-def]
    answer = client.get("/v1/support/search", params={"q": query}, headers=agent["headers"])
    assert answer.status_code == 200, answer.text
    return answer.json()


def sign_in(client, email, password=DEFAULT_PASSWORD, ip="145.53.10.7", device="laptop-1"):  # type: ignore[no-untyped-def]
    device_id = sign_device_id(client.app.state.services.keys, device)
    return client.post("/v1/login", json={"email": email, "password": password},
                       headers={"X-Forwarded-For": ip, "X-Device-Id": device_id})


def test_by_email_account_id_and_reference(app_client, account_factory, staff) -> None:
    bob = account_factory(email="bob.trader@example.com")
    agent = staff("support")
    found = find(app_client, agent, "bob.trad")
    assert found["kind"] == "email" and [item["id"] for item in found["accounts"]] == [bob["id"]]
    assert find(app_client, agent, bob["id"])["accounts"][0]["matches"] == [{"what": "account_id"}]
    refused = app_client.post("/v1/login", json={"email": bob["email"], "password": "not the password"}).json()
    by_reference = find(app_client, agent, refused["reference"].lower())
    assert by_reference["kind"] == "reference" and by_reference["reference"]["code"] == "credentials.invalid"
    assert [item["email"] for item in by_reference["accounts"]] == [bob["email"]]
    missing = app_client.get("/v1/support/search", params={"q": "R-00000000"}, headers=agent["headers"])
    assert missing.status_code == 404 and missing.json()["code"] == "help.reference_not_found"
    assert find(app_client, agent, "nobody-at-all")["accounts"] == []


def test_by_ip_address_and_network_across_sign_ins_devices_and_requests(proxied) -> None:
    app_client, services, clock = proxied, proxied.services, proxied.clock
    alice, carol, owner = ({"email": f"{name}@example.com", "id": create_account(
        services, f"{name}@example.com", DEFAULT_PASSWORD, roles=[], verified=True)} for name in ("alice", "carol", "owner"))
    with services.db.transaction() as tx:
        totp_repo.enrol_confirmed(tx, services.keys, owner["id"], totp.new_secret(), clock.now())
    sign_in(app_client, alice["email"], ip="145.53.10.7")
    sign_in(app_client, carol["email"], password="wrong password here", ip="145.53.10.99")
    sign_in(app_client, "ghost@example.com", ip="145.53.10.7")
    sign_in(app_client, alice["email"], ip="81.2.69.142")
    agent = make_staff(app_client, services, clock, "support", "agent@staff.example.com")
    exact = find(app_client, agent, "145.53.10.7")
    assert exact["kind"] == "ip" and [item["email"] for item in exact["accounts"]] == [alice["email"]]
    sign_ins = [match for match in exact["accounts"][0]["matches"] if match["what"] == "sign_in"]
    assert sign_ins == [{"what": "sign_in", "count": 1, "refused": 0, "last_at": sign_ins[0]["last_at"],
                         "ip": "145.53.10.7"}]
    assert [item["email"] for item in exact["unknown_emails"]] == ["ghost@example.com"]
    network = find(app_client, agent, "145.53.10.0/24")
    assert network["kind"] == "network" and network["query"] == "145.53.10.0/24"
    assert {item["email"] for item in network["accounts"]} == {alice["email"], carol["email"]}
    carol_match = next(item for item in network["accounts"] if item["email"] == carol["email"])["matches"][0]
    assert carol_match["refused"] == 1
    assert find(app_client, agent, "145.52.0.0/16")["accounts"] == []
    too_wide = app_client.get("/v1/support/search", params={"q": "0.0.0.0/0"}, headers=agent["headers"])
    assert too_wide.status_code == 422 and "/8" in too_wide.json()["detail"]
    # A recovery request's address counts too.
    app_client.post("/v1/mfa-reset", json={"email": owner["email"], "password": DEFAULT_PASSWORD},
                    headers={"X-Forwarded-For": "203.0.113.77"})
    requested = find(app_client, agent, "203.0.113.77")
    assert [match["what"] for match in requested["accounts"][0]["matches"]] == ["case"]


def test_by_device_finds_every_account_that_device_signed_in_to(app_client, account_factory, staff, services) -> None:
    first, second, other = account_factory(), account_factory(), account_factory()
    for account in (first, second):
        assert sign_in(app_client, account["email"], device="shared-phone").json()["status"] == "authenticated"
    sign_in(app_client, other["email"], device="someone-else")
    with services.db.transaction() as tx:
        device_id = next(device.id for device in tx.query(Device).filter(Device.account_id == first["id"]))
    found = find(app_client, agent := staff("support"), device_id)
    assert found["kind"] == "device"
    assert {item["email"] for item in found["accounts"]} == {first["email"], second["email"]}
    assert agent


def test_by_case_id(app_client, enrolled, staff, mailbox) -> None:
    owner = enrolled()
    case_id = open_ready_case(app_client, mailbox, owner["email"])
    found = find(app_client, staff("support"), case_id)
    assert found["case_id"] == case_id and found["accounts"][0]["email"] == owner["email"]
    assert found["accounts"][0]["open_cases"] == 1
