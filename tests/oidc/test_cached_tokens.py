"""Access tokens, clients and signing keys from memory (bastion.oidc.access, keys): answered without a
database round trip, and dropped by whatever ends them — at once on the node that did it, and on
another node within the bound sessions have (requirements §27: on the message with Redis, within the
cache's TTL without)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bastion.context import Client
from bastion.crypto import hash_token, new_token
from bastion.oidc.access import CACHED
from bastion.oidc.clients import NewClient, create_client, delete_client
from bastion.oidc.consent import remove_access
from bastion.oidc.grants import Authentication, PendingCode, save_code
from bastion.oidc.keys import rotate_signing_keys
from bastion.oidc.server import provider_for
from bastion.services import Services
from bastion.sessions.holds import WITHDRAWAL, place_hold
from bastion.sessions.revocation import revoke_sessions
from bastion.sessions.tokens import issue_session
from tests.oidc.conftest import BASE, Browser, RelyingParty, callback_of, through
from tests.sessions.test_revocation_everywhere import (  # noqa: F401 — fixtures shared with the sessions' own test
    REVOCATION_LIMIT,
    Node,
    node_factory,
    redis_url,
    subscribed,
    wait_until,
)

REDIRECT = "http://127.0.0.1:9/cb"
VERIFIER = secrets.token_urlsafe(48)
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()


def _reads_of(services: Services, table: str) -> list[str]:
    """The statements that read `table`, from now on."""
    reads: list[str] = []

    @event.listens_for(services.db.engine, "before_cursor_execute")
    def _record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if f"FROM {table}" in statement:
            reads.append(statement)

    return reads


def test_userinfo_answers_from_memory_and_a_revoked_token_is_refused_at_once(
        register: Callable[..., RelyingParty], signed_in_flow: Browser, services: Services) -> None:
    rp = register()
    start = rp.start()
    token = rp.finish(start, callback_of(through(signed_in_flow, rp, start)))
    assert rp.userinfo(token["access_token"]).status_code == 200  # read once
    reads = _reads_of(services, "oidc_tokens")
    assert [rp.userinfo(token["access_token"]).status_code for _ in range(5)] == [200] * 5
    assert reads == []  # no database round trip
    assert rp.session.revoke_token(f"{BASE}/oauth2/revoke", token=token["refresh_token"]).status_code == 200
    assert rp.userinfo(token["access_token"]).status_code == 401  # the next request already


# Two nodes ------------------------------------------------------------------------------------

class App:
    """A confidential client, a person and a session, and a way to get tokens from a node."""

    def __init__(self, services: Services, account: dict[str, str]) -> None:
        self.services, self.account = services, account
        row, secret = create_client(services, NewClient(name="Desk", redirect_uris=(REDIRECT,), first_party=True))
        assert secret is not None
        self.client_id, self.secret = row.id, secret
        with services.db.transaction() as tx:
            _, session = issue_session(services, tx, account["id"], Client(ip="127.0.0.1"), remember=False)
        self.session_id = session.id

    def tokens(self, node: Node, scope: str = "openid email") -> dict[str, Any]:
        code = new_token("bac_")
        now = node.services.clock.now()
        save_code(node.services, code, PendingCode(self.client_id, self.account["id"], self.session_id, scope,
                                                   REDIRECT, None, CHALLENGE, "S256",
                                                   Authentication("aal1", ("pwd",), now, None)))
        answer = node.client.post("/oauth2/token", auth=(self.client_id, self.secret), data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def refresh(self, node: Node, refresh_token: str) -> Any:
        return node.client.post("/oauth2/token", auth=(self.client_id, self.secret),
                                data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def userinfo(node: Node, access_token: str) -> Any:
    return node.client.get("/oauth2/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def cached(node: Node, access_token: str) -> bool:
    return node.services.session_cache.peek(CACHED + hash_token(access_token)) is not None


def revoke(a: Node, app: App, token: dict[str, Any]) -> None:
    answer = a.client.post("/oauth2/revoke", auth=(app.client_id, app.secret), data={"token": token["access_token"]})
    assert answer.status_code == 200


def reuse(a: Node, app: App, token: dict[str, Any]) -> None:
    assert app.refresh(a, token["refresh_token"]).status_code == 200
    assert app.refresh(a, token["refresh_token"]).json()["error"] == "invalid_grant"  # reused: the family ends


def sign_out(a: Node, app: App, token: dict[str, Any]) -> None:
    with a.services.db.transaction() as tx:
        revoke_sessions(tx, a.services.clock.now(), app.account["id"], "logout", only=app.session_id)


def freeze(a: Node, app: App, token: dict[str, Any]) -> None:
    from bastion.accounts.status import freeze_account

    freeze_account(a.services, app.account["id"], Client(ip="127.0.0.1"), via="api")


def removed_access(a: Node, app: App, token: dict[str, Any]) -> None:
    from bastion.oidc.consent import save_consent

    with a.services.db.transaction() as tx:
        save_consent(tx, a.services.clock.now(), app.account["id"], app.client_id, ["openid"], Client())
    assert remove_access(a.services, app.account["id"], app.client_id, Client())


def deleted_client(a: Node, app: App, token: dict[str, Any]) -> None:
    assert delete_client(a.services, app.client_id)


ENDINGS = [revoke, reuse, sign_out, freeze, removed_access, deleted_client]


@pytest.mark.parametrize("ending", ENDINGS, ids=[ending.__name__ for ending in ENDINGS])
def test_with_redis_a_token_ended_on_one_node_is_dropped_on_the_other_on_the_message(
        ending: Callable[..., None], node_factory: Callable[..., Node], redis_url: str,  # noqa: F811
        account_factory: Callable[..., dict[str, str]]) -> None:
    a, b = node_factory(redis_url=redis_url), node_factory(redis_url=redis_url)
    subscribed(a), subscribed(b)
    app = App(a.services, account_factory())
    token = app.tokens(a)
    assert userinfo(b, token["access_token"]).status_code == 200
    reads = _reads_of(b.services, "oidc_tokens")
    assert [userinfo(b, token["access_token"]).status_code for _ in range(5)] == [200] * 5
    assert reads == [] and cached(b, token["access_token"])

    ending(a, app, token)
    assert userinfo(a, token["access_token"]).status_code == 401  # at once where it happened
    # B forgets the token because A told it, not because it asked the database.
    wait_until(lambda: not cached(b, token["access_token"]), REVOCATION_LIMIT)
    assert userinfo(b, token["access_token"]).status_code == 401


def test_without_redis_the_other_node_refuses_once_its_short_trust_runs_out(
        node_factory: Callable[..., Node], account_factory: Callable[..., dict[str, str]]) -> None:  # noqa: F811
    a, b = node_factory(session_cache_seconds=0.5), node_factory(session_cache_seconds=0.5)
    app = App(a.services, account_factory())
    token = app.tokens(a)
    assert userinfo(b, token["access_token"]).status_code == 200 and cached(b, token["access_token"])
    revoke(a, app, token)
    assert userinfo(a, token["access_token"]).status_code == 401
    wait_until(lambda: userinfo(b, token["access_token"]).status_code == 401, REVOCATION_LIMIT)


def test_a_new_hold_reaches_the_other_nodes_userinfo(node_factory: Callable[..., Node], redis_url: str,  # noqa: F811
                                                     account_factory: Callable[..., dict[str, str]]) -> None:
    a, b = node_factory(redis_url=redis_url), node_factory(redis_url=redis_url)
    subscribed(a), subscribed(b)
    app = App(a.services, account_factory())
    token = app.tokens(a, scope="openid restrictions")
    assert userinfo(b, token["access_token"]).json()["bastion"]["withdrawals_allowed"] is True
    with a.services.db.transaction() as tx:
        place_hold(tx, a.services.clock.now(), app.account["id"], WITHDRAWAL, "password_reset", timedelta(hours=24))
    wait_until(lambda: userinfo(b, token["access_token"]).json()["bastion"]["withdrawals_allowed"] is False,
               REVOCATION_LIMIT)
    assert [hold["reason"] for hold in userinfo(b, token["access_token"]).json()["bastion"]["restrictions"]] == [
        "password_reset"]


@pytest.mark.parametrize("with_redis", [True, False], ids=["redis", "no-redis"])
def test_a_rotated_key_signs_at_once_here_and_on_the_other_node_within_the_bound(
        with_redis: bool, node_factory: Callable[..., Node], account_factory: Callable[..., dict[str, str]],  # noqa: F811
        request: pytest.FixtureRequest) -> None:
    extra = {"redis_url": request.getfixturevalue("redis_url")} if with_redis else {}
    a, b = node_factory(**extra), node_factory(**extra)
    if with_redis:
        subscribed(a), subscribed(b)
    app = App(a.services, account_factory())
    old = header_kid(app.tokens(b)["id_token"])  # both nodes have their keys in memory
    assert header_kid(app.tokens(a)["id_token"]) == old
    new = set(rotate_signing_keys(a.services))
    assert header_kid(app.tokens(a)["id_token"]) in new  # at once on the node that rotated
    wait_until(lambda: str(provider_for(b.services).keys.signing_key().kid) in new, REVOCATION_LIMIT)
    kid = header_kid(app.tokens(b)["id_token"])
    assert kid in new and kid != old
    published = {key["kid"] for key in b.client.get("/oauth2/jwks").json()["keys"]}
    assert {old, kid} <= published  # the old key still verifies what it signed


def header_kid(id_token: str) -> str:
    segment = id_token.split(".", 1)[0]
    return str(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))["kid"])
