"""Configuration: typed, validated, and `prod` refuses insecure settings."""

from __future__ import annotations

import pytest

from bastion.config import ConfigError, load_settings
from bastion.crypto import generate_key
from bastion.startup import check_settings, start_services

SAFE_PROD = dict(env="prod", secret_keys=generate_key(), smtp_url="smtps://mail.example.com:465",
                 public_url="https://id.example.com", database_url="postgresql://db.example.com/bastion")


def test_defaults_are_the_embedded_dev_setup(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.env == "dev"
    assert settings.resolved_database_url == "sqlite:///.bastion/bastion.db"
    assert settings.smtp_url is None and not settings.cookie_secure


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASTION_DATABASE_URL", "postgresql://db/bastion")
    monkeypatch.setenv("BASTION_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32")
    settings = load_settings()
    assert settings.resolved_database_url == "postgresql+psycopg://db/bastion"
    assert [str(net) for net in settings.trusted_proxy_networks] == ["10.0.0.0/8", "2001:db8::/32"]


def test_a_safe_production_configuration_is_accepted() -> None:
    settings = load_settings(**SAFE_PROD)
    assert settings.cookie_secure
    assert "mail.example.com" not in repr(settings)  # secrets mask themselves


@pytest.mark.parametrize("change, complaint", [
    ({"secret_keys": None}, "BASTION_SECRET_KEYS"),
    ({"smtp_url": None}, "BASTION_SMTP_URL"),
    ({"public_url": "http://id.example.com"}, "https://"),
    ({"database_url": None}, "PostgreSQL"),
    ({"argon2_memory_kib": 4096}, "argon2"),
])
def test_prod_refuses_insecure_settings(change, complaint) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_settings(**{**SAFE_PROD, **change})


@pytest.mark.parametrize("field, value", [
    ("public_url", "ftp://x"), ("smtp_url", "http://mail"), ("trusted_proxies", "not-a-cidr"),
    ("env", "staging"), ("session_idle_minutes", 0),
])
def test_malformed_settings_are_refused_at_start(field, value) -> None:
    with pytest.raises(ConfigError):
        load_settings(**{field: value})


@pytest.mark.parametrize("name", ["BASTION_HASH_QUEUE", "BASTION_SIGNIN_ADMISSION_LIMIT"])
def test_a_replaced_setting_is_refused_not_silently_ignored(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "32")
    with pytest.raises(ConfigError, match=f"{name} is no longer used.*BASTION_SIGNIN_QUEUE_SECONDS"):
        load_settings()


@pytest.mark.parametrize("value", [0, -1, 31])
def test_the_sign_in_queue_budget_is_positive_and_bounded(value: float) -> None:
    with pytest.raises(ConfigError):
        load_settings(signin_queue_seconds=value)


@pytest.mark.parametrize("field, value, complaint", [
    ("rate_limits", "5/15m/planet", "unknown limit scope"), ("rate_limits", "five/15m/ip", "is not a limit"),
    ("lockout_first_delay", "soon", "BASTION_LOCKOUT_FIRST_DELAY"), ("ip_lockout", "0m", "BASTION_IP_LOCKOUT"),
])
def test_a_malformed_throttle_setting_stops_the_start(field: str, value: str, complaint: str, tmp_path) -> None:
    settings = load_settings(**{field: value, "data_dir": tmp_path})  # plain text to the config itself
    with pytest.raises(ConfigError, match=complaint):
        check_settings(settings)
    with pytest.raises(ConfigError, match=complaint):
        start_services(settings)  # how serve, worker and every command start
