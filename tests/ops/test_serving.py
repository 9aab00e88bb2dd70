"""`bastion serve` and `bastion demo` are served alike: uvicorn never believes X-Forwarded-For by itself
(issue 18, finding 7: the demo counted a loopback client under any address it claimed)."""

from __future__ import annotations

from typing import Any

import anyio
import httpx2 as httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from bastion.cli import app
from tests.conftest import TEST_KEY


def demo_served(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, **env: str) -> tuple[Any, dict[str, Any]]:
    """What `bastion demo` hands to uvicorn: the app and the options (nothing is served)."""
    for name, value in {"SECRET_KEYS": TEST_KEY, "DATA_DIR": str(tmp_path), "ARGON2_TIME_COST": "1",
                        "ARGON2_MEMORY_KIB": "1024", **env}.items():
        monkeypatch.setenv(f"BASTION_{name}", value)
    monkeypatch.delenv("BASTION_DATABASE_URL", raising=False)
    handed: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda served, **options: handed.update(app=served, options=options))
    result = CliRunner().invoke(app, ["demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return handed["app"], handed["options"]


def test_serve_and_demo_give_uvicorn_the_same_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from bastion.cli import serve_options

    _, options = demo_served(monkeypatch, tmp_path)
    assert options["proxy_headers"] is False
    served = serve_options(workers=1)
    assert {key: options[key] for key in served} == served


async def _reset_requests(served: Any, options: dict[str, Any]) -> list[int]:
    """Three reset requests from a loopback socket, each claiming another address, through uvicorn's
    own wrapping of the demo's app (what it adds for these options)."""
    config = uvicorn.Config(served, **{key: value for key, value in options.items() if key != "workers"})
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return [(await client.post("/v1/password-reset", json={"email": f"p{n}@example.com"},
                                   headers={"X-Forwarded-For": f"203.0.113.{n}"})).status_code for n in range(3)]


def test_the_demo_counts_a_loopback_client_under_its_socket_address(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    served, options = demo_served(monkeypatch, tmp_path, RATE_LIMITS="2/1h/reset_ip")
    assert anyio.run(_reset_requests, served, options) == [202, 202, 429]


def test_the_demo_believes_forwarded_addresses_from_the_proxies_it_is_told_of(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    served, options = demo_served(monkeypatch, tmp_path, RATE_LIMITS="2/1h/reset_ip",
                                  TRUSTED_PROXIES="127.0.0.1/32")
    assert anyio.run(_reset_requests, served, options) == [202, 202, 202]
