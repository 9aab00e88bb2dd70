"""The table: one row per reason code, each a way to provoke that refusal through the HTTP app.

A row is `provoke(lab, email) -> answer`. Rows that name an account by its email
(`twin=BY_EMAIL`) are provoked twice for codes that may be answered before the first factor:
once where the email has an account, once in a lab where it has none; the answers must be
identical. Rows whose request names no account at all (a token, a session, a flow id, a path)
give the reason instead: there is no existing/unknown pair to compare.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx2 as httpx

from bastion.accounts.status import restrict_account
from bastion.context import Client
from bastion.ops.client_versions import set_policy
from bastion.ops.maintenance import start_maintenance
from tests.conftest import link_token
from tests.help.conftest import HOME_IP, Lab, bearer
from tests.mfa.authenticator import SoftAuthenticator

BY_EMAIL = "by email"


@dataclass(frozen=True)
class Case:
    code: str
    provoke: Callable[[Lab, str], Any]
    twin: str | None  # BY_EMAIL, or why no existing/unknown pair exists
    settings: dict[str, object] = field(default_factory=dict)
    app_hook: Callable[[Any], None] | None = None


CASES: dict[str, Case] = {}


def row(code: str, twin: str | None = None, app_hook: Callable[[Any], None] | None = None,
        **settings: object) -> Callable[[Callable[[Lab, str], Any]], Callable[[Lab, str], Any]]:
    def register(provoke: Callable[[Lab, str], Any]) -> Callable[[Lab, str], Any]:
        assert code not in CASES, f"two rows for {code}"
        CASES[code] = Case(code, provoke, twin, settings, app_hook)
        return provoke
    return register


WRONG = "not the password at all 1"


# Before the first factor, by email --------------------------------------------------------
@row("credentials.invalid", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    return lab.login(email, WRONG)


@row("account.locked", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    for _ in range(5):
        assert lab.login(email, WRONG).json()["code"] == "credentials.invalid"
    return lab.login(email, WRONG)


@row("account.password_disabled", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    for _ in range(8):  # the lab switches password sign-in off at 8 (100 in production)
        lab.login(email, WRONG)
        lab.clock.advance(minutes=16)  # past each pause
    return lab.login(email)


@row("ip.throttled", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    for number in range(50):
        lab.login(f"stranger{number}@example.net", WRONG, ip="192.0.2.99")
    return lab.login(email, ip="192.0.2.99")


@row("rate_limited", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    for _ in range(5):
        assert lab.client.post("/v1/password-reset", json={"email": email}).status_code == 202
    return lab.client.post("/v1/password-reset", json={"email": email})


@row("service.maintenance", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    start_maintenance(lab.services, timedelta(hours=1), "Upgrading the database.")
    return lab.login(email)


@row("client.outdated", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    set_policy(lab.services, "ios", "2.0.0", "2.1.0", "https://apps.example.com/bastion")
    return lab.login(email, headers={"X-Client-Platform": "ios", "X-Client-Version": "1.9.3"})


def _login_page_post(lab: Lab, email: str, keep_cookies: bool, token: str | None = None) -> Any:
    page = lab.client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found
    if not keep_cookies:
        lab.client.cookies.clear()
    return lab.client.post("/login", data={"email": email, "password": WRONG, "csrf_token": token or found.group(1)},
                           headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"})


@row("browser.cookies_blocked", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    return _login_page_post(lab, email, keep_cookies=False)


@row("csrf.invalid", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    return _login_page_post(lab, email, keep_cookies=True, token="x" * 43)


@row("password.weak", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/accounts", json={"email": email, "password": "short"})


@row("password.breached", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/accounts", json={"email": email, "password": "123qweasdzxc"})


@row("request.invalid", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/login", json={"email": email})


@row("request.too_large", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/login", json={"email": email, "password": "x" * (2 * 1024 * 1024)})


@row("request.timeout", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    """A sign-in whose body stops arriving after its first bytes (the test client sends bodies whole:
    the app is called as the server calls it)."""
    lab.client.get("/v1/help/reasons")  # the app's layers built, its edge among them
    edge = lab.client.app.middleware_stack  # type: ignore[attr-defined]
    edge.door.body_seconds = 0.05
    body = json.dumps({"email": email, "password": WRONG}).encode()
    chunks = [body[:7]]
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "path": "/v1/login",
             "raw_path": b"/v1/login", "query_string": b"", "root_path": "", "scheme": "http",
             "server": ("testserver", 80), "client": (HOME_IP, 40000),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]}
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if chunks:
            return {"type": "http.request", "body": chunks.pop(), "more_body": True}
        await asyncio.Event().wait()  # the rest never comes
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(lab.client.app(scope, receive, send))
    return httpx.Response(messages[0]["status"], headers=messages[0]["headers"],
                          content=b"".join(message.get("body", b"") for message in messages[1:]))


@row("passkey.invalid", BY_EMAIL)
def _(lab: Lab, email: str) -> Any:
    """With an account: its registered passkey presented under another user handle. Without one:
    a passkey nobody registered. Both are "not accepted", alike."""
    authenticator = SoftAuthenticator()
    if _has_account(lab, email):
        account = {"email": email, **_session_of(lab, email)}
        options = lab.client.post("/v1/me/passkeys/options", headers=account["headers"]).json()["publicKey"]
        created = lab.client.post("/v1/me/passkeys", headers=account["headers"],
                                  json={"credential": authenticator.create(options), "name": "Laptop"})
        assert created.status_code == 201, created.text
        authenticator.user_handle = "c29tZW9uZS1lbHNl"
    else:
        authenticator.user_handle = "c29tZW9uZS1lbHNl"
    options = lab.client.post("/v1/login/passkey/options").json()["publicKey"]
    return lab.client.post("/v1/login/passkey", json={"credential": authenticator.get(options)})


def _has_account(lab: Lab, email: str) -> bool:
    from bastion.accounts.repo import find_account_by_email

    with lab.services.db.transaction() as tx:
        return find_account_by_email(tx, email) is not None


def _session_of(lab: Lab, email: str) -> dict[str, Any]:
    answer = lab.login(email)
    assert answer.json().get("status") == "authenticated", answer.text
    return {"headers": {**bearer(answer.json()["session"]["token"]), "X-Forwarded-For": HOME_IP}}


# Before the first factor, naming no account ------------------------------------------------
NO_ACCOUNT = "the request names no account"


@row("flow.not_found", f"{NO_ACCOUNT}: a flow id")
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/login/0b9c7a56-5d8e-4b8e-9a51-0c6f3f6f1b2a/totp", json={"code": "123456"})


@row("service.unavailable", f"{NO_ACCOUNT}: readiness", redis_url="redis://127.0.0.1:1/0")
def _(lab: Lab, email: str) -> Any:
    return lab.client.get("/readyz")


@row("session.required", f"{NO_ACCOUNT}: no credentials at all")
def _(lab: Lab, email: str) -> Any:
    return lab.client.get("/v1/session")


@row("session.invalid", f"{NO_ACCOUNT}: an unknown token")
def _(lab: Lab, email: str) -> Any:
    return lab.client.get("/v1/session", headers=bearer("not-a-session-token"))


@row("session.expired", f"{NO_ACCOUNT}: a session token")
def _(lab: Lab, email: str) -> Any:
    account = lab.signed_in()
    lab.clock.advance(minutes=31)
    return lab.client.get("/v1/session", headers=account["headers"])


@row("session.revoked", f"{NO_ACCOUNT}: a session token")
def _(lab: Lab, email: str) -> Any:
    account = lab.signed_in()
    assert lab.client.post("/v1/logout", headers=account["headers"]).status_code == 204
    return lab.client.get("/v1/session", headers=account["headers"])


@row("service_key.invalid", f"{NO_ACCOUNT}: a service key")
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/introspect", json={"token": "whatever"}, headers=bearer("bsk_not_a_key"))


@row("token.invalid", f"{NO_ACCOUNT}: an emailed token")
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/accounts/verify-email", json={"token": "not-a-real-token"})


@row("token.expired", f"{NO_ACCOUNT}: an emailed token")
def _(lab: Lab, email: str) -> Any:
    assert lab.client.post("/v1/accounts", json={"email": "late@example.com",
                                                 "password": "violet harbor compass 93 lantern"}).status_code == 202
    token = link_token(lab.mailbox.last("late@example.com")["text"])
    lab.clock.advance(hours=25)
    return lab.client.post("/v1/accounts/verify-email", json={"token": token})


def _signed_up_twice(lab: Lab) -> str:
    """The address signed up by someone else first, then by its owner: the owner's link (the newest)."""
    for password in ("someone else's passphrase 7 cobalt", "violet harbor compass 93 lantern"):
        assert lab.client.post("/v1/accounts", json={"email": "twice@example.com", "password": password},
                               headers={"X-Forwarded-For": HOME_IP}).status_code == 202
    return link_token(lab.mailbox.last("twice@example.com")["text"])


@row("signup.password_required", f"{NO_ACCOUNT}: an emailed token")
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/accounts/verify-email", json={"token": _signed_up_twice(lab)})


@row("signup.password_mismatch", f"{NO_ACCOUNT}: an emailed token")
def _(lab: Lab, email: str) -> Any:
    return lab.client.post("/v1/accounts/verify-email", json={"token": _signed_up_twice(lab),
                                                              "password": "someone else's passphrase 7 cobalt"})


@row("help.reference_not_found", f"{NO_ACCOUNT}: a reference")
def _(lab: Lab, email: str) -> Any:
    return lab.client.get("/v1/help/references/R-00000000")


@row("resource.not_found", f"{NO_ACCOUNT}: an address")
def _(lab: Lab, email: str) -> Any:
    return lab.client.get("/v1/no-such-thing")


@row("request.method_not_allowed", f"{NO_ACCOUNT}: an address")
def _(lab: Lab, email: str) -> Any:
    return lab.client.delete("/v1/status")


def _failing_route(app: Any) -> None:
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/v1/test-only/fault")
    def fault() -> None:
        raise RuntimeError("a bug")

    app.include_router(router)


@row("internal.error", f"{NO_ACCOUNT}: a fault", app_hook=_failing_route)
def _(lab: Lab, email: str) -> Any:
    return lab.client.get("/v1/test-only/fault")


# After the first factor: the account's own answers ---------------------------------------------
@row("account.email_unverified")
def _(lab: Lab, email: str) -> Any:
    return lab.login(lab.account(verified=False)["email"])


@row("account.frozen")
def _(lab: Lab, email: str) -> Any:
    account = lab.signed_in()
    assert lab.client.post("/v1/me/freeze", headers=account["headers"]).status_code == 200
    return lab.login(account["email"])


@row("account.suspended")
def _(lab: Lab, email: str) -> Any:
    account = lab.account()
    restrict_account(lab.services, account["id"], "suspended", "chargeback review", None, None, Client())
    return lab.login(account["email"])


@row("account.banned")
def _(lab: Lab, email: str) -> Any:
    account = lab.account()
    restrict_account(lab.services, account["id"], "banned", "abuse", lab.clock.now() + timedelta(days=1), None,
                     Client())
    return lab.login(account["email"])


@row("account.ip_not_allowed")
def _(lab: Lab, email: str) -> Any:
    account = lab.signed_in()
    listed = lab.client.put("/v1/me/ip-allowlist", headers=account["headers"], json={"cidrs": ["192.0.2.0/24"]})
    assert listed.status_code == 200, listed.text
    return lab.login(account["email"], ip="203.0.113.7")


@row("risk.denied")
def _(lab: Lab, email: str) -> Any:
    return lab.login(lab.account()["email"], ip="198.18.0.5")


@row("reauth.required")
def _(lab: Lab, email: str) -> Any:
    account = lab.signed_in()
    lab.clock.advance(minutes=6)
    return lab.client.post("/v1/me/totp/setup", headers=account["headers"])


@row("reauth.failed")
def _(lab: Lab, email: str) -> Any:
    account = lab.signed_in()
    return lab.client.post("/v1/reauth", headers=account["headers"], json={"password": WRONG})


@row("permission.denied", f"{NO_ACCOUNT}: a session of the account itself")
def _(lab: Lab, email: str) -> Any:
    return lab.client.get("/v1/admin/maintenance", headers=lab.signed_in()["headers"])
