"""Sign-ins from real public addresses, set through a trusted proxy, with mail to a real SMTP sink."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.accounts.admin import create_account
from bastion.services import Services
from bastion.startup import build_services
from bastion.web.app import create_app
from bastion.web.client import sign_device_id
from tests.conftest import DEFAULT_PASSWORD
from tests.notify import SmtpSink, parts

# Checked with geoip2fast 1.2.2 (tests/risk/test_geo.py).
GB, DE, JP, US = "81.2.69.142", "85.214.132.117", "133.242.0.3", "8.8.8.8"
AWS = "52.95.110.1"  # AMAZON-02 (AS16509), United States
MAC_CHROME = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/120.0.0.0 Safari/537.36")


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@dataclass
class Risky:
    client: TestClient
    services: Services
    smtp: SmtpSink

    def device_id(self, name: str) -> str:
        """The identifier of the device called `name`, as Bastion issues it (one it did not sign is no device)."""
        return sign_device_id(self.services.keys, name)

    def login(self, email: str, ip: str, device: str | None = "laptop", remember: bool = False,
              password: str = DEFAULT_PASSWORD) -> Any:
        headers = {"X-Forwarded-For": ip, "User-Agent": MAC_CHROME}
        if device:
            headers["X-Device-Id"] = self.device_id(device)
        return self.client.post("/v1/login", json={"email": email, "password": password,
                                                   "remember_device": remember}, headers=headers)

    def device_code(self, flow_id: str, code: str, ip: str, device: str | None = "laptop") -> Any:
        headers = {"X-Forwarded-For": ip, "User-Agent": MAC_CHROME}
        if device:
            headers["X-Device-Id"] = self.device_id(device)
        return self.client.post(f"/v1/login/{flow_id}/device", json={"code": code}, headers=headers)

    def mails(self, to: str, count: int) -> list[tuple[str, str, str]]:
        """(subject, text, html) of the first `count` messages to `to`, waiting for them."""
        found = self.smtp.wait_for(to, count)
        return [(item.message["Subject"], *parts(item.message)) for item in found]

    def mail_titled(self, to: str, subject: str, timeout: float = 10.0) -> tuple[str, str, str]:
        """The newest message to `to` with this subject, waiting for it."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            found = [(item.message["Subject"], *parts(item.message)) for item in self.smtp.messages(to)]
            matching = [mail for mail in found if mail[0] == subject]
            if matching:
                return matching[-1]
            assert time.monotonic() < deadline, f"no {subject!r} mail to {to}"
            time.sleep(0.02)

    def verification_mail(self, to: str, count: int) -> tuple[str, str, str]:
        mails = [mail for mail in self.mails(to, count) if mail[0].startswith("Confirm it's you")]
        assert mails, "no device verification email"
        text = mails[-1][1]
        code = re.search(r"^\s+(\d{6})\s*$", text, re.M)
        link = re.search(r"/login/device\?token=(\S+)", text)
        assert code and link, text
        return code.group(1), link.group(1), text


@pytest.fixture
def risky_factory(database_url: str, settings_factory: Callable[..., Any], clock: Any,
                  smtp: SmtpSink) -> Iterator[Callable[..., Risky]]:
    made: list[tuple[TestClient, Services]] = []

    def make(**settings: object) -> Risky:
        services = build_services(settings_factory(database_url=database_url, trusted_proxies="127.0.0.1/32",
                                                   smtp_url=smtp.url, outbox_poll_seconds=0.05, **settings),
                                  clock=clock)
        client = TestClient(create_app(services, deliver_mail=True), client=("127.0.0.1", 40000),
                            raise_server_exceptions=False)
        client.__enter__()
        made.append((client, services))
        return Risky(client, services, smtp)

    yield make
    for client, services in made:
        client.__exit__(None, None, None)
        services.close()


@pytest.fixture
def risky(risky_factory: Callable[..., Risky]) -> Risky:
    return risky_factory()


@pytest.fixture
def person(risky: Risky) -> dict[str, str]:
    """A confirmed account with a unique address (the SMTP sink is shared by the session)."""
    import uuid

    email = f"risk-{uuid.uuid4().hex[:10]}@example.com"
    account_id = create_account(risky.services, email, DEFAULT_PASSWORD, roles=[], verified=True)
    return {"id": account_id, "email": email}
