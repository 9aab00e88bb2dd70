"""A lab for provoking refusals through the HTTP app: its own database, clock and settings.

Requests come from 127.0.0.1, a trusted proxy, so each can say which address it is from
(`X-Forwarded-For`); 198.18.0.0/15 is listed as an anonymizing network and new devices are
asked to confirm by email, so every risk outcome can be reached.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.accounts.admin import create_account
from bastion.clock import MovableClock
from bastion.mfa.totp import otp as totp
from bastion.services import Services
from bastion.startup import build_services
from bastion.web.app import create_app
from bastion.web.client import sign_device_id
from tests.conftest import DEFAULT_PASSWORD, Mailbox, fresh_database, make_staff
from tests.recovery.conftest import case_link

LAB_SETTINGS: dict[str, object] = dict(
    trusted_proxies="127.0.0.1/32",
    risk_anonymizer_cidrs="198.18.0.0/15",
    risk_policy="anonymizer=deny,new_device=verify",
    password_disable_after=8,
)
HOME_IP = "192.0.2.10"
REFERENCE = re.compile(r"\bR-[0-9A-Z]{8}\b")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Lab:
    client: TestClient
    services: Services
    clock: MovableClock
    mailbox: Mailbox
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # People -------------------------------------------------------------------------------
    def account(self, email: str | None = None, **options: Any) -> dict[str, Any]:
        address = email or f"person{next(self._numbers)}@example.com"
        account_id = create_account(self.services, address, DEFAULT_PASSWORD, roles=options.pop("roles", []),
                                    verified=options.pop("verified", True))
        return {"id": account_id, "email": address}

    def device_id(self, name: str) -> str:
        """The identifier of the device called `name`, as Bastion issues it (one it did not sign is no device)."""
        return sign_device_id(self.services.keys, name)

    def login(self, email: str, password: str = DEFAULT_PASSWORD, ip: str = HOME_IP, device: str | None = "laptop",
              headers: dict[str, str] | None = None) -> Any:
        sent = {"X-Forwarded-For": ip, **({"X-Device-Id": self.device_id(device)} if device else {}), **(headers or {})}
        return self.client.post("/v1/login", json={"email": email, "password": password}, headers=sent)

    def signed_in(self, **options: Any) -> dict[str, Any]:
        account = self.account(**options)
        answer = self.login(account["email"])
        assert answer.json().get("status") == "authenticated", answer.text
        token = answer.json()["session"]["token"]
        return {**account, "token": token, "headers": {**bearer(token), "X-Forwarded-For": HOME_IP}}

    def enrolled(self) -> dict[str, Any]:
        """Signed in with an authenticator app confirmed; the clock moved to the next step."""
        account = self.signed_in()
        setup = self.client.post("/v1/me/totp/setup", headers=account["headers"]).json()
        confirmed = self.client.post("/v1/me/totp/confirm", headers=account["headers"],
                                     json={"code": self.code(setup["secret"])})
        assert confirmed.status_code == 200, confirmed.text
        self.clock.advance(seconds=30)
        return {**account, "secret": setup["secret"], "backup_codes": confirmed.json()["backup_codes"]}

    def staff(self, role: str = "support") -> dict[str, Any]:
        """A support or admin account signed in with both steps (staff work needs 2FA)."""
        return make_staff(self.client, self.services, self.clock, role, f"{role}{next(self._numbers)}@staff.example.com")

    def open_case(self, account: dict[str, Any], kind: str = "mfa-reset") -> tuple[str, str]:
        """A 2FA reset (or unfreeze) request of the account: the case id and the emailed link's token."""
        assert self.client.post(f"/v1/{kind}" if kind == "mfa-reset" else "/v1/unfreeze-request",
                                json={"email": account["email"], "password": DEFAULT_PASSWORD}).status_code == 202
        return case_link(self.mailbox, account["email"])

    def code(self, secret: str, offset_seconds: float = 0) -> str:
        return totp.code_at_time(secret, self.clock.now().timestamp() + offset_seconds)

    def wrong_code(self, secret: str) -> str:
        right = {self.code(secret, offset) for offset in range(-330, 331, 30)}
        return next(candidate for candidate in (f"{n:06d}" for n in range(0, 10**6, 111_111)) if candidate not in right)

    def mfa_flow(self, account: dict[str, Any], device: str = "laptop") -> str:
        answer = self.login(account["email"], device=device)
        assert answer.json().get("status") == "mfa_required", answer.text
        return answer.json()["flow"]["id"]

    def step(self, flow_id: str, kind: str, code: str, device: str = "laptop") -> Any:
        return self.client.post(f"/v1/login/{flow_id}/{kind}", json={"code": code},
                                headers={"X-Forwarded-For": HOME_IP, "X-Device-Id": self.device_id(device)})

    def device_flow(self, account: dict[str, Any]) -> str:
        """A sign-in from a second device, waiting for the emailed code (the first device is the baseline)."""
        assert self.login(account["email"], device="laptop").json()["status"] == "authenticated"
        answer = self.login(account["email"], device="phone")
        assert answer.json().get("status") == "device_verification_required", answer.text
        return answer.json()["flow"]["id"]

    def device_code(self, email: str) -> str:
        mail = [item for item in self.mailbox.messages(email) if item["template"] == "device_verification"][-1]
        found = re.search(r"^\s+(\d{6})\s*$", mail["text"], re.M)
        assert found, mail["text"]
        return found.group(1)

    # Answers ------------------------------------------------------------------------------
    @staticmethod
    def reference_in(answer: Any) -> str:
        if answer.headers.get("content-type", "").startswith("application/problem+json"):
            return answer.json()["reference"]
        found = REFERENCE.search(answer.text)
        assert found, answer.text[:2000]
        return found.group(0)


@pytest.fixture
def lab_factory(request: pytest.FixtureRequest, tmp_path: Path,
                settings_factory: Callable[..., Any]) -> Iterator[Callable[..., Lab]]:
    """Labs on SQLite, each with its own database and clock (`kind="postgresql"` for PostgreSQL)."""
    opened: list[tuple[Any, TestClient, Services]] = []

    def make(kind: str = "sqlite", app_hook: Callable[[Any], None] | None = None, **overrides: object) -> Lab:
        databases = fresh_database(kind, request, tmp_path)
        url = databases.__enter__()
        clock = MovableClock()
        services = build_services(settings_factory(database_url=url, **{**LAB_SETTINGS, **overrides}), clock=clock)
        app = create_app(services, deliver_mail=False)
        if app_hook:
            app_hook(app)
        client = TestClient(app, client=("127.0.0.1", 40000), raise_server_exceptions=False)
        client.__enter__()
        opened.append((databases, client, services))
        return Lab(client, services, clock, Mailbox(services))

    yield make
    for databases, client, services in opened:
        client.__exit__(None, None, None)
        services.close()
        databases.__exit__(None, None, None)


@pytest.fixture
def lab(lab_factory: Callable[..., Lab]) -> Lab:
    return lab_factory()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_lab(request: pytest.FixtureRequest, lab_factory: Callable[..., Lab]) -> Lab:
    """A lab on each database: storage behaviour runs on SQLite and on PostgreSQL."""
    return lab_factory(kind=request.param)
