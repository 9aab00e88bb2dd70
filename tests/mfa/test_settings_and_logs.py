"""The relying party comes from configuration; second-factor events never log a code."""

from __future__ import annotations

import logging

import pytest

from bastion.config import ConfigError, load_settings
from tests.mfa.conftest import code_at


def test_rp_id_and_origins_default_from_the_public_url() -> None:
    settings = load_settings(public_url="https://id.example.com/")
    assert settings.resolved_rp_id == "id.example.com"
    assert settings.resolved_webauthn_origins == ["https://id.example.com"]


def test_rp_id_and_origins_can_be_set() -> None:
    settings = load_settings(public_url="https://id.example.com", webauthn_rp_id="example.com",
                             webauthn_origins="https://id.example.com, https://app.example.com")
    assert settings.resolved_rp_id == "example.com"
    assert settings.resolved_webauthn_origins == ["https://id.example.com", "https://app.example.com"]


@pytest.mark.parametrize(("rp_id", "origins", "message"), [
    ("other.com", "", "does not cover the origin"),
    (None, "id.example.com", "is not an origin"),
    ("example.com", "https://notexample.com", "does not cover the origin"),
])
def test_inconsistent_relying_party_settings_are_refused(rp_id, origins, message) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(public_url="https://id.example.com", webauthn_rp_id=rp_id, webauthn_origins=origins)


def test_production_refuses_plain_http_origins() -> None:
    with pytest.raises(ConfigError, match="BASTION_WEBAUTHN_ORIGINS must be https"):
        load_settings(env="prod", public_url="https://id.example.com", webauthn_origins="http://id.example.com",
                      secret_keys="x" * 43, smtp_url="smtp://mail:25", database_url="postgresql://db/bastion")


def test_reused_codes_are_logged_without_the_code(app_client, enrolled, mfa_flow, clock, caplog) -> None:
    account = enrolled()
    code = code_at(account["secret"], clock)
    app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code})
    with caplog.at_level(logging.INFO):
        app_client.post(f"/v1/login/{mfa_flow(account)}/totp", json={"code": code})
    logged = "\n".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    assert "totp code reused" in logged and "mfa.code_reused" in logged
    assert code not in logged and account["secret"] not in logged
