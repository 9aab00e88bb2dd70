"""A new second-factor method is one package and one registration: a test-only method (a PIN kept in
memory) works through sign-in, step-up, the trusted-device fingerprint, a completed 2FA reset and
the support view, and its words show on the activity page, in the console and in the security emails,
with no other module edited — everything loops over the registry."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session as Tx

from bastion.accounts.repo import get_account
from bastion.context import Client
from bastion.errors import BastionError, Reason
from bastion.mfa.flows.notices import record_factor_change
from bastion.mfa.method import Consume, EventWords, HistoryWords, MethodWords, ProofContext
from bastion.mfa.registry import METHODS
from bastion.recovery.completion import complete_due_cases
from bastion.risk.trust import fingerprint
from bastion.support import words
from bastion.support.signals import factor_changes
from bastion.support.timeline import event_words
from bastion.support.views import account_view
from tests.conftest import DEFAULT_PASSWORD
from tests.recovery.conftest import case_link, upload_all
from tests.web.test_pages import at_the_step, hidden, sign_in

PINS: dict[str, str] = {}  # account id → its PIN: the method's own "storage"


class PinCheck:
    def __init__(self, context: ProofContext, typed: str) -> None:
        self.context, self.typed = context, typed

    def check(self, now: datetime) -> Consume:
        expected = PINS.get(self.context.account_id, "")
        if not hmac.compare_digest(self.typed.encode(), expected.encode()):
            raise BastionError(Reason.MFA_CODE_INVALID)
        return lambda tx: None

    def refused(self, tx: Tx, refusal: BastionError) -> bool:
        return False

    def succeeded(self, tx: Tx) -> None:
        return None


class PinMethod:
    name = "test_pin"
    path = "test-pin"
    label = "Test PIN"
    proof = "code"
    stands_alone = True
    step_up = True
    amr = "pin"
    words = MethodWords(lead="Enter your PIN.", switch="Use your PIN", named="your PIN", field_label="PIN")
    history = HistoryWords(step="PIN", console_step="PIN", console_step_label="PIN step", events={
        "mfa.test_pin_set": EventWords(console="PIN set", notice="A PIN was set for 2FA.", changes_factors=True),
        "mfa.test_pin_guessed": EventWords(console="Someone kept guessing the PIN"),
    })
    protected = ()
    enrolled_clause = None

    def enrolled(self, tx: Tx, account_id: str) -> bool:
        return account_id in PINS

    def trust_ids(self, tx: Tx, account_id: str) -> list[str]:
        return [f"pin-of-{account_id}"] if account_id in PINS else []

    def start_check(self, context: ProofContext, proof: Any) -> PinCheck:
        return PinCheck(context, str(proof))

    def remove_all(self, tx: Tx, account_id: str, now: datetime) -> int:
        return 1 if PINS.pop(account_id, None) else 0

    def support_view(self, tx: Tx, account_id: str) -> list[dict[str, Any]]:
        return [{"type": "test_pin"}] if account_id in PINS else []


@pytest.fixture
def pin_method() -> Iterator[None]:
    METHODS.register(PinMethod())
    yield
    METHODS.unregister("test_pin")
    PINS.clear()


def test_a_registered_method_signs_in_steps_up_and_shows_to_support(pin_method, app_client, account_factory,
                                                                     services) -> None:
    account = account_factory()
    with services.db.transaction() as tx:
        before = fingerprint(tx, get_account(tx, account["id"]))
    PINS[account["id"]] = "4711"
    with services.db.transaction() as tx:
        assert fingerprint(tx, get_account(tx, account["id"])) != before  # trusted devices lose their trust

    answer = app_client.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}).json()
    assert answer["status"] == "mfa_required" and answer["flow"]["methods"] == ["test_pin"]
    flow = answer["flow"]["id"]
    wrong = app_client.post(f"/v1/login/{flow}/test-pin", json={"code": "0000"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "mfa.code_invalid"
    signed = app_client.post(f"/v1/login/{flow}/test-pin", json={"code": "4711"}).json()
    assert signed["status"] == "authenticated"
    headers = {"Authorization": f"Bearer {signed['session']['token']}"}
    assert app_client.get("/v1/session", headers=headers).json()["session"]["aal"] == 2

    assert app_client.post("/v1/reauth", json={"method": "test_pin", "code": "0000"},
                           headers=headers).json()["code"] == "mfa.code_invalid"
    assert app_client.post("/v1/reauth", json={"method": "test_pin", "code": "4711"},
                           headers=headers).json() == {"status": "reauthenticated"}
    assert "test_pin" in [factor["type"] for factor in account_view(services, account["id"])["factors"]]


def test_a_completed_2fa_reset_removes_the_registered_method(pin_method, app_client, account_factory, staff,
                                                            mailbox, clock, services) -> None:
    account = account_factory()
    PINS[account["id"]] = "4711"
    assert app_client.post("/v1/mfa-reset", json={"email": account["email"],
                                                  "password": DEFAULT_PASSWORD}).status_code == 202
    case_id, token = case_link(mailbox, account["email"])
    assert upload_all(app_client, case_id, token).json()["status"] == "in_review"
    agent = staff("support")
    assert app_client.post(f"/v1/support/cases/{case_id}/approve", headers=agent["headers"],
                           json={"reason": "ID matches"}).json() == {"status": "waiting"}
    clock.advance(hours=48, minutes=1)
    assert complete_due_cases(services) == 1
    assert account["id"] not in PINS
    assert app_client.post("/v1/login", json={"email": account["email"],
                                              "password": DEFAULT_PASSWORD}).json()["status"] == "authenticated"


def test_a_registered_method_brings_its_words(pin_method, app_client, account_factory, mailbox, services) -> None:
    account = account_factory()
    PINS[account["id"]] = "4711"
    step = at_the_step(app_client, sign_in(app_client, account["email"]))
    form = {name: hidden(step.text, name) for name in ("csrf_token", "flow_id", "methods")}
    done = app_client.post("/login/second-step", data={**form, "method": "test_pin", "code": "4711"},
                           follow_redirects=False)
    assert done.status_code == 303, done.text
    assert "<span>PIN</span>" in app_client.get("/security/activity").text  # the step, in the method's words

    with services.db.transaction() as tx:
        record_factor_change(services, tx, account["id"], "test_pin_set", Client())
    mail = mailbox.last(account["email"])
    assert mail["template"] == "factor_changed" and "A PIN was set for 2FA." in mail["text"]

    assert words.SIGN_IN_STEPS["test_pin"] == "PIN" and words.STEP_LABELS["test_pin"] == "PIN step"
    assert event_words("mfa.test_pin_guessed", {}) == "Someone kept guessing the PIN"
    assert "mfa.test_pin_set" in words.EVENTS and "mfa.test_pin_set" in factor_changes()
    assert "mfa.test_pin_guessed" not in factor_changes()


def test_the_methods_words_keep_what_the_tables_listed() -> None:
    """Moving the words onto the methods kept every step, event and factor change the tables named."""
    assert {"mfa.totp_enabled", "mfa.totp_removed", "mfa.passkey_added", "mfa.passkey_removed", "mfa.mfa_disabled",
            "mfa.backup_codes_regenerated"} <= set(factor_changes())
    assert "mfa.passkey_renamed" not in factor_changes() and "mfa.backup_code_used" not in factor_changes()
    steps = {"password", "passkey", "totp", "backup_code", "device"}
    assert steps <= set(words.SIGN_IN_STEPS) and steps <= set(words.STEP_LABELS)
    assert {"mfa.backup_code_used", "mfa.failed_alert_sent", "mfa.locked", "mfa.passkey_cloned", "mfa.totp_code_reused",
            "mfa.totp_enabled", "mfa.totp_removed", "mfa.backup_codes_regenerated", "mfa.passkey_added",
            "mfa.passkey_renamed", "mfa.passkey_removed", "mfa.mfa_disabled"} <= set(words.EVENTS)
