"""Security headers on pages and API answers; HSTS only when the site is served over https."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bastion.ops.http_heads import BoundedHeads
from bastion.startup import build_services
from bastion.web.app import create_app
from bastion.web.headers import rendered, security_headers
from bastion.web.language import rendered_language, with_language
from tests.live import serving


def test_every_answer_has_the_security_headers(app_client) -> None:
    for path in ("/login", "/v1/status", "/static/bastion.css", "/no-such-page"):
        headers = app_client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer" and "camera=()" in headers["permissions-policy"]
        assert "strict-transport-security" not in headers  # http://testserver
    page = app_client.get("/login").headers
    assert "frame-ancestors 'none'" in page["content-security-policy"] and page["cache-control"] == "no-store"


def test_served_as_bastion_serves_each_answer_carries_each_security_header_once(services) -> None:  # type: ignore[no-untyped-def]
    """`bastion serve`'s protocol writes the security headers rendered once (the FIXED_HEADERS
    extension); an answer that sets one of its own (a page's CSP and caching) keeps its own."""
    import httpx2 as httpx

    with serving(create_app(services, deliver_mail=False), http=BoundedHeads) as port, \
            httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for method, path in (("GET", "/v1/session"), ("GET", "/v1/status"), ("HEAD", "/v1/status"),
                             ("POST", "/v1/introspect"), ("GET", "/login"), ("GET", "/static/bastion.css")):
            answer = client.request(method, path)
            names = [name.lower() for name, _ in answer.headers.raw]
            expected = dict(security_headers(path, False))
            for name, value in expected.items():
                assert names.count(name) == 1, (path, name)
                if name != b"content-security-policy" or path != "/login":
                    assert answer.headers[name.decode()] == value.decode(), (path, name)
            assert names.count(b"content-type") <= 1 and b"x-frame-options" in names
            # The language goes with them, rendered once too, where the answer holds words a person reads.
            labelled = path != "/static/bastion.css"
            assert names.count(b"content-language") == names.count(b"vary") == labelled, (path, names)
            if labelled:
                assert answer.headers["content-language"] == "en", path
                assert answer.headers["vary"] == "Accept-Language, Cookie", path
        spanish = client.get("/v1/session", headers={"Accept-Language": "es"})
        assert spanish.headers["content-language"] == "es" and spanish.json()["code"] == "session.required"
        page = client.get("/login").headers
        assert "frame-ancestors 'none'" in page["content-security-policy"] and page["cache-control"] == "no-store"


def test_the_language_rendered_for_the_head_is_what_the_headers_would_carry() -> None:
    json_answer = [(b"content-length", b"2"), (b"content-type", b"application/json")]
    assert rendered_language(json_answer, "fr") == b"content-language: fr\r\nvary: Accept-Language, Cookie\r\n"
    assert with_language(json_answer, "fr")[2:] == [(b"content-language", b"fr"), (b"vary", b"Accept-Language, Cookie")]
    assert rendered_language([(b"content-type", b"text/css")], "fr") == b""  # no words to label
    assert rendered_language([*json_answer, (b"content-language", b"de")], "fr") == b""  # its own
    own_vary = [*json_answer, (b"vary", b"Origin")]
    assert rendered_language(own_vary, "fr") is None  # extended as a header, not rendered beside it
    assert (b"vary", b"Origin, Accept-Language, Cookie") in with_language(own_vary, "fr")


def test_only_what_http_allows_is_rendered() -> None:
    assert rendered(((b"x-a", b"b c\t"),)) == b"x-a: b c\t\r\n"
    for bad in (((b"x-a", b"b\r\nset-cookie: c=d"),), ((b"x a", b"b"),), ((b"X-A", b"b"),), ((b"x-a", b"\x00"),)):
        with pytest.raises(ValueError):
            rendered(bad)


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
