"""Security headers on pages and API answers; HSTS only when the site is served over https."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bastion.startup import build_services
from bastion.web.app import create_app


def test_every_answer_has_the_security_headers(app_client) -> None:
    for path in ("/login", "/v1/status", "/static/bastion.css", "/no-such-page"):
        headers = app_client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer" and "camera=()" in headers["permissions-policy"]
        assert "strict-transport-security" not in headers  # http://testserver
    page = app_client.get("/login").headers
    assert "frame-ancestors 'none'" in page["content-security-policy"] and page["cache-control"] == "no-store"


def test_hsts_when_the_public_url_is_https(database_url, settings_factory, clock) -> None:
    services = build_services(settings_factory(database_url=database_url, public_url="https://id.example.com"),
                              clock=clock)
    try:
        with TestClient(create_app(services, deliver_mail=False)) as client:
            assert client.get("/login").headers["strict-transport-security"].startswith("max-age=31536000")
            assert "Secure" in client.get("/login").headers["set-cookie"]
    finally:
        services.close()


def test_the_schema_is_rendered_once_and_served_as_rendered(app_client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """About 600 KB serialised again for every request cost 15 ms of CPU each: 38 requests a second
    from anyone held every sign-in for seconds."""
    first = app_client.get("/openapi.json")
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert "/v1/login" in first.json()["paths"]
    monkeypatch.setattr(app_client.app, "openapi", lambda: pytest.fail("built and rendered again"))
    assert app_client.get("/openapi.json").content == first.content
    assert app_client.get("/docs").status_code == 200
