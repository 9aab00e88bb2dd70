"""Support fixtures: accounts with an authenticator app (from the second-factor fixtures), a case
with all its documents in, and a support floor that needs two approvals per case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bastion.services import Services
from bastion.startup import build_services
from bastion.web.app import create_app
from tests.conftest import DEFAULT_PASSWORD, Mailbox, make_staff
from tests.mfa.conftest import enrolled, login, signed_in  # noqa: F401 (fixtures used here)
from tests.recovery.conftest import case_link, upload_all


def open_ready_case(client: TestClient, mailbox: Mailbox, email: str, kind: str = "mfa-reset") -> str:
    """A case of `email` with its three documents in: in review."""
    case_id = client.post(f"/v1/{kind}" if kind == "mfa-reset" else f"/v1/{kind}-request",
                          json={"email": email, "password": DEFAULT_PASSWORD}).json()["case_id"]
    linked, token = case_link(mailbox, email)
    assert linked == case_id
    assert upload_all(client, case_id, token).json()["status"] == "in_review"
    return case_id


def act(client: TestClient, agent: dict[str, Any], case_id: str, action: str, **body: Any) -> Any:
    return client.post(f"/v1/support/cases/{case_id}/{action}", headers=agent["headers"], json=body or None)


@pytest.fixture
def ready_case(app_client, enrolled, mailbox) -> Callable[..., tuple[dict[str, Any], str]]:  # type: ignore[no-untyped-def]  # noqa: F811
    """An account with an authenticator app and its 2FA reset in review."""

    def make() -> tuple[dict[str, Any], str]:
        owner = enrolled()
        return owner, open_ready_case(app_client, mailbox, owner["email"])

    return make


class Floor:
    """A support floor over its own services, where each case needs two different agents' approval."""

    def __init__(self, services: Services, client: TestClient, clock: Any) -> None:
        self.services, self.client, self.clock = services, client, clock
        self.mailbox = Mailbox(services)
        self.count = 0

    def agent(self, role: str = "support") -> dict[str, Any]:
        self.count += 1
        return make_staff(self.client, self.services, self.clock, role, f"{role}{self.count}@floor.example.com")

    def owner(self) -> dict[str, Any]:
        """An account with an authenticator app."""
        from bastion.accounts.admin import create_account
        from bastion.mfa.totp import otp as totp
        from bastion.mfa.totp import repo as totp_repo

        self.count += 1
        email = f"owner{self.count}@example.com"
        account_id = create_account(self.services, email, DEFAULT_PASSWORD, roles=[], verified=True)
        with self.services.db.transaction() as tx:
            totp_repo.enrol_confirmed(tx, self.services.keys, account_id, totp.new_secret(), self.clock.now())
        return {"id": account_id, "email": email}

    def case(self) -> tuple[dict[str, Any], str]:
        owner = self.owner()
        return owner, open_ready_case(self.client, self.mailbox, owner["email"])


@pytest.fixture
def four_eyes(database_url, settings_factory, clock) -> Iterator[Floor]:  # type: ignore[no-untyped-def]
    services = build_services(settings_factory(database_url=database_url, case_approvals_required=2), clock=clock)
    with TestClient(create_app(services, deliver_mail=False), raise_server_exceptions=False) as client:
        yield Floor(services, client, clock)
    services.close()
