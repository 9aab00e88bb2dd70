"""The provider tested from the relying party's side, with authlib's own OAuth 2 client
(`OAuth2Session`, on requests) talking to the app through a transport adapter, and a browser
(a TestClient with its cookies) that signs in on Bastion's pages.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from bastion.mfa.totp import otp as totp
from bastion.mfa.totp import repo as totp_repo
from bastion.oidc.clients import NewClient, create_client
from bastion.services import Services
from tests.conftest import DEFAULT_PASSWORD

BASE = "http://testserver"
APP = "http://127.0.0.1:9"  # where the app lives: its callback is never fetched
_HIDDEN = re.compile(r'name="(?P<name>[a-z_]+)" value="(?P<value>[^"]*)"')


@pytest.fixture(autouse=True)
def plain_http_on_the_test_host(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test app is http://testserver; authlib's client wants https unless told otherwise."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


class AppTransport(BaseAdapter):
    """requests → the ASGI app (a TestClient of its own: the app's server side sees no browser cookie)."""

    def __init__(self, client: TestClient) -> None:
        super().__init__()
        self.client = client

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        answer = self.client.request(request.method or "GET", request.url or "", content=body,
                                     headers=dict(request.headers), follow_redirects=False)
        response = requests.Response()
        response.status_code = answer.status_code
        response._content = answer.content
        response.headers = CaseInsensitiveDict(answer.headers)
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        return None


@dataclass
class Start:
    url: str
    state: str
    nonce: str
    verifier: str


@dataclass
class RelyingParty:
    """An app registered with Bastion, signing people in the way its OIDC library would."""

    http: TestClient
    client_id: str
    secret: str | None
    redirect_uri: str
    scope: str = "openid email"
    now: Callable[[], float] = time.time
    session: OAuth2Session = field(init=False)

    def __post_init__(self) -> None:
        self.session = OAuth2Session(self.client_id, self.secret, scope=self.scope, redirect_uri=self.redirect_uri,
                                     code_challenge_method="S256",
                                     token_endpoint_auth_method="client_secret_basic" if self.secret else "none")
        self.session.mount(BASE, AppTransport(self.http))

    def metadata(self) -> dict[str, Any]:
        return self.session.get(f"{BASE}/.well-known/openid-configuration", withhold_token=True).json()

    def start(self, **params: Any) -> Start:
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(16)
        url, state = self.session.create_authorization_url(f"{BASE}/oauth2/authorize", nonce=nonce,
                                                           code_verifier=verifier, **params)
        return Start(url, state, nonce, verifier)

    def finish(self, start: Start, callback: str) -> dict[str, Any]:
        return dict(self.session.fetch_token(f"{BASE}/oauth2/token", authorization_response=callback,
                                             code_verifier=start.verifier, state=start.state))

    def id_claims(self, token: dict[str, Any], nonce: str) -> dict[str, Any]:
        """As authlib's OpenID client checks it: signature against the JWKS, iss, aud, exp, nonce, at_hash."""
        keys = KeySet.import_key_set(self.session.get(f"{BASE}/oauth2/jwks", withhold_token=True).json())
        decoded = jwt.decode(token["id_token"], keys)
        claims = CodeIDToken(decoded.claims, decoded.header, {"iss": {"values": [BASE]}},
                             {"nonce": nonce, "client_id": self.client_id, "access_token": token["access_token"]})
        claims.validate(now=int(self.now()), leeway=120)
        return {**dict(claims), "_kid": decoded.header["kid"]}

    def userinfo(self, access_token: str) -> requests.Response:
        return self.session.get(f"{BASE}/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"},
                                withhold_token=True)

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.session.post(f"{BASE}/oauth2/token", data={"grant_type": "refresh_token",
                                                                "refresh_token": refresh_token,
                                                                "client_id": self.client_id},
                                 auth=(self.client_id, self.secret) if self.secret else None, withhold_token=True)


@dataclass
class Browser:
    """A person's browser on Bastion: its cookies, the redirects it follows by hand."""

    client: TestClient

    def sign_in(self, email: str, password: str = DEFAULT_PASSWORD, totp_secret: str | None = None,
                now: float | None = None) -> Any:
        page = self.client.get("/login")
        answer = self.client.post("/login", data={"email": email, "password": password,
                                                  "csrf_token": self.hidden(page.text)["csrf_token"]},
                                  follow_redirects=False)
        if totp_secret is not None and answer.headers.get("location", "").startswith("/login/second-step"):
            fields = self.hidden(self.client.get(answer.headers["location"]).text)
            answer = self.client.post("/login/second-step", data={
                "flow_id": fields["flow_id"], "method": "totp", "methods": fields.get("methods", "totp"),
                "code": totp.code_at_time(totp_secret, now or 0), "csrf_token": fields["csrf_token"]},
                follow_redirects=False)
        assert answer.status_code == 303, answer.text[:2000]
        return answer

    @staticmethod
    def hidden(html: str) -> dict[str, str]:
        return {match["name"]: match["value"] for match in _HIDDEN.finditer(html)}

    def go(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, follow_redirects=False, **kwargs)

    def follow(self, answer: Any, limit: int = 10) -> Any:
        """Follow Bastion's own redirects; stop at the first one leaving for the app (its callback)."""
        for _ in range(limit):
            location = answer.headers.get("location")
            if answer.status_code not in (302, 303) or location is None or location.startswith(APP):
                return answer
            answer = self.client.get(location, follow_redirects=False)
        raise AssertionError("too many redirects")


def callback_of(answer: Any) -> str:
    """The address the browser is sent back to the app with: a 302, or the page that moves on by itself."""
    if answer.status_code == 302:
        return str(answer.headers["location"])
    match = re.search(r'http-equiv="refresh" content="0;url=([^"]+)"', answer.text)
    assert match, answer.text[:2000]
    return match.group(1).replace("&amp;", "&")


def params_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
def browser(app_client: TestClient) -> Browser:
    return Browser(app_client)


@pytest.fixture
def rp_http(app_client: TestClient) -> TestClient:
    return TestClient(app_client.app)


@pytest.fixture
def register(services: Services, rp_http: TestClient) -> Callable[..., RelyingParty]:
    def make(public: bool = False, first_party: bool = True, offline: bool = False, scope: str = "openid email",
             backchannel: str | None = None, name: str = "Trading app") -> RelyingParty:
        redirect = f"{APP}/cb/{secrets.token_hex(4)}"
        row, secret = create_client(services, NewClient(
            name=name, redirect_uris=("https://rp.example/cb", redirect),
            public=public, first_party=first_party, allow_offline=offline,
            post_logout_redirect_uris=(f"{APP}/bye",), backchannel_logout_uri=backchannel))
        redirect_uri = row.redirect_uris[1]
        return RelyingParty(rp_http, row.id, secret, redirect_uri, scope, lambda: services.clock.now().timestamp())

    return make


@pytest.fixture
def with_totp(services: Services) -> Callable[[str], str]:
    def enrol(account_id: str) -> str:
        secret = totp.new_secret()
        with services.db.transaction() as tx:
            totp_repo.enrol_confirmed(tx, services.keys, account_id, secret, services.clock.now())
        return secret

    return enrol


@pytest.fixture
def person(account_factory: Callable[..., dict[str, str]]) -> dict[str, str]:
    return account_factory()


def through(browser: Browser, rp: RelyingParty, start: Start) -> Any:
    """The browser opens the app's authorization link and follows Bastion's redirects."""
    return browser.follow(browser.go(start.url))


@pytest.fixture
def signed_in_flow(browser: Browser, person: dict[str, str]) -> Iterator[Browser]:
    browser.sign_in(person["email"])
    yield browser
