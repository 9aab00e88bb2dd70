"""The session checks the edge answers itself (FastChecks) answer exactly as their routes do: the
same status, body and headers for every request, whichever way it goes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bastion.sessions.service_keys import create_service_key
from bastion.web.app import create_app
from bastion.web.edge import Edge
from tests.conftest import DEFAULT_PASSWORD

VARYING = {"reference", "created_at", "expires_at", "idle_expires_at", "authenticated_at", "date"}


def routes_only(services) -> TestClient:  # type: ignore[no-untyped-def]
    """The same app with nothing answered at the edge: every request goes to the routes."""
    app = create_app(services, deliver_mail=False)
    app.middleware_stack = Edge(FastAPI.build_middleware_stack(app), services, {})
    return TestClient(app, raise_server_exceptions=False)


def comparable(answer: Any) -> tuple[int, Any, list[tuple[str, str]]]:
    try:
        body: Any = answer.json()
    except ValueError:
        body = answer.text
    if isinstance(body, dict):
        body = {key: ("…" if key in VARYING else value) for key, value in body.items()}
        if isinstance(body.get("session"), dict):
            body["session"] = {key: ("…" if key in VARYING else value) for key, value in body["session"].items()}
    headers = sorted((name, value) for name, value in answer.headers.items() if name not in ("content-length", "date"))
    return answer.status_code, body, headers


@pytest.fixture
def both(services):  # type: ignore[no-untyped-def]
    edge = TestClient(create_app(services, deliver_mail=False), raise_server_exceptions=False)
    with edge, routes_only(services) as routes:
        yield edge, routes


def test_the_session_check_answers_alike_at_the_edge_and_on_its_route(both, account_factory) -> None:
    edge, routes = both
    account = account_factory()
    token = edge.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}).json()["session"]["token"]
    variants: list[dict[str, Any]] = [
        {"headers": {"Authorization": f"Bearer {token}"}},
        {"headers": {"Authorization": f"Bearer {token}", "Accept-Language": "es"}},
        {"headers": {"Authorization": f"Bearer {token}"}, "params": {"lang": "ar"}},
        {"headers": {"Cookie": f"bastion_session={token}"}},
        {"headers": {"Authorization": "Bearer bst_" + "A" * 43 + "." + "0" * 32}},
        {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}},
        {"headers": {"Authorization": "Bearer "}},
        {"headers": {}},
        {"headers": {"Authorization": "Bearer junk", "Accept": "text/html"}},
    ]
    for variant in variants:
        routes.get("/v1/session", **variant)  # both ways have the session cached
        assert comparable(edge.get("/v1/session", **variant)) == comparable(routes.get("/v1/session", **variant)), variant


def test_introspection_answers_alike_at_the_edge_and_on_its_route(both, account_factory, services) -> None:
    edge, routes = both
    account = account_factory()
    token = edge.post("/v1/login", json={"email": account["email"], "password": DEFAULT_PASSWORD}).json()["session"]["token"]
    key, _ = create_service_key(services, "platform")
    bodies: list[Any] = [{"token": token}, {"token": token, "extra": 1}, {"token": "bst_junk"}, {"token": "x" * 257},
                         {"token": 5}, {"token": None}, {}, [], None, "token"]
    raw: list[bytes] = [b"", b"{", b'{"token": "' + token.encode() + b'"', b"\xff\xfe"]
    for content in [json.dumps(body).encode() for body in bodies] + raw:
        for client in (edge, routes):  # the key and the session cached both ways
            client.post("/v1/introspect", content=content, headers={"Authorization": f"Bearer {key}"})
        answers = [comparable(client.post("/v1/introspect", content=content,
                                          headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"}))
                   for client in (edge, routes)]
        assert answers[0] == answers[1], content
