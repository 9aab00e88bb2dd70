"""Context-specific words (ASVS 5.0 V6.1.2, V6.2.11): a password built on a word about this
service must be very strong; the same password without it is judged as before."""

from __future__ import annotations

import pytest

from bastion.accounts.passwords import CONTEXT_WORDS, check_password_policy
from bastion.errors import BastionError, Reason


@pytest.mark.parametrize("password", ["Bastion2026!!", "bastionwallet2026", "CryptoLogin2026"])
def test_a_password_leaning_on_a_word_about_the_service_is_refused(password: str) -> None:
    with pytest.raises(BastionError) as refused:
        check_password_policy(password, "trader@example.com")
    assert refused.value.code == Reason.PASSWORD_WEAK and "first an attacker tries" in (refused.value.detail or "")


def test_strong_passwords_may_still_contain_such_a_word_and_the_list_is_documented(app_client) -> None:
    check_password_policy("my wallet is a purple lantern 93", "trader@example.com")
    answer = app_client.post("/v1/accounts", json={"email": "t@example.com", "password": "Bastion2026!!"})
    assert answer.status_code == 422 and answer.json()["code"] == "password.weak"
    from pathlib import Path

    documented = (Path(__file__).parents[2] / "docs/security/asvs.md").read_text()
    assert all(f"`{word}`" in documented for word in CONTEXT_WORDS)
