"""What the authorization endpoint keeps while the person signs in: only the parameters it
understands, each within its bound, under a budget per IP; and odd request ids are refused
on a page, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import select

from bastion.oidc.models import OidcAuthorizationRequest
from bastion.services import Services
from bastion.throttle.limits import Limit
from tests.oidc.conftest import Browser, RelyingParty


def _stored(services: Services) -> list[OidcAuthorizationRequest]:
    with services.db.transaction() as tx:
        return list(tx.execute(select(OidcAuthorizationRequest)).scalars())


def _with(url: str, **params: str) -> str:
    """The app's authorization link with some parameters replaced."""
    parts = urlsplit(url)
    return f"{parts.path}?{urlencode({**dict(parse_qsl(parts.query)), **params})}"


def _error_of(answer: object) -> dict[str, str]:
    location = answer.headers["location"]  # type: ignore[attr-defined]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_a_waiting_request_keeps_only_the_parameters_it_understands(
        register: Callable[..., RelyingParty], browser: Browser, services: Services) -> None:
    rp = register()
    start = rp.start()
    # 50 KB of parameters nobody asked for (bodies stop at 64 KiB: request.too_large).
    form = [*parse_qsl(urlsplit(start.url).query), *((f"junk{number}", "x" * 2000) for number in range(25))]
    answer = browser.client.post("/oauth2/authorize", content=urlencode(form), follow_redirects=False,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    [row] = _stored(services)
    kept = dict(row.params["items"])
    assert not any(name.startswith("junk") for name in kept)
    assert {"client_id", "redirect_uri", "state", "nonce", "code_challenge"} <= set(kept)
    assert sum(len(name) + len(value) for name, value in kept.items()) <= 4096  # a few KB at most


@pytest.mark.parametrize("name, length", [("state", 1025), ("nonce", 256), ("login_hint", 321)])
def test_an_oversize_parameter_is_refused_with_the_oauth_error(
        name: str, length: int, register: Callable[..., RelyingParty], browser: Browser,
        services: Services) -> None:
    rp = register()
    answer = browser.go(_with(rp.start().url, **{name: "a" * length}))
    assert answer.status_code == 302, answer.text[:500]
    assert _error_of(answer)["error"] == "invalid_request"
    assert _stored(services) == []


def test_a_long_nonce_is_refused_for_a_signed_in_person_too(register: Callable[..., RelyingParty],
                                                            signed_in_flow: Browser) -> None:
    rp = register()
    answer = signed_in_flow.follow(signed_in_flow.go(_with(rp.start().url, nonce="n" * 300)))
    # (such a nonce once overflowed the grant's column on PostgreSQL)
    assert answer.status_code == 302 and _error_of(answer)["error"] == "invalid_request"


def test_waiting_requests_are_budgeted_per_ip(register: Callable[..., RelyingParty], browser: Browser,
                                              services: Services) -> None:
    services.throttle.limits["oidc_pending_ip"] = Limit(3, timedelta(minutes=10))
    rp = register()
    answers = [browser.go(rp.start().url) for _ in range(4)]
    assert [answer.status_code for answer in answers[:3]] == [303, 303, 303]
    assert answers[3].status_code == 429 and answers[3].headers["retry-after"].isdigit()
    assert len(_stored(services)) == 3


@pytest.mark.parametrize("path", ["/oauth2/confirm/%00%ff", "/oauth2/authorize/resume/%00%ff",
                                  "/oauth2/confirm/%ff", "/oauth2/confirm/" + "a" * 80])
@pytest.mark.parametrize("signed_in", [False, True])
def test_an_odd_request_id_gets_a_page_not_a_server_error(path: str, signed_in: bool, browser: Browser,
                                                          person: dict[str, str]) -> None:
    if signed_in:
        browser.sign_in(person["email"])
    answer = browser.go(path)
    assert 400 <= answer.status_code < 500 or answer.status_code in (302, 303), answer.text[:500]
    assert "bastion_oidc_return=\"\"" in answer.headers.get("set-cookie", 'bastion_oidc_return=""')
    posted = browser.client.post(path.replace("/authorize/resume/", "/consent/"), data={"decision": "allow"},
                                 follow_redirects=False)
    assert posted.status_code < 500
