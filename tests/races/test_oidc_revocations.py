"""Two revocations of one grant at the same moment: a refresh token presented again (its family
revoked) while the session the grant came from ends, while the person removes the app's access (the
grants of a list revoked), or while the app is deleted (its grants and tokens with it). On
PostgreSQL each takes row locks on the grant and on its tokens; taken in two orders, the two
transactions would each hold a lock the other waits for, and one of them would die of a deadlock.
Over many rounds, none does, and the grant and every token of it end revoked (or gone with the
app). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from bastion.context import Client
from bastion.crypto import new_token
from bastion.oidc.clients import NewClient, create_client, delete_client
from bastion.oidc.consent import remove_access, save_consent
from bastion.oidc.grants import Authentication, PendingCode, save_code
from bastion.oidc.models import OidcGrant, OidcToken
from bastion.oidc.protocol import ProviderRequest
from bastion.oidc.server import provider_for
from bastion.services import Services
from bastion.sessions.revocation import revoke_sessions
from bastion.sessions.tokens import issue_session

ROUNDS = 40
STAGGERS, STAGGER = 20, 0.0005  # the ending's start, 0 to 10 ms after the reuse's
REDIRECT = "http://127.0.0.1:9/cb"
VERIFIER = secrets.token_urlsafe(48)
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
PERSON = Client(ip="192.0.2.7")


class App:
    """A confidential client signing one person in, a grant at a time."""

    def __init__(self, services: Services, account_id: str) -> None:
        self.services, self.account_id = services, account_id
        row, secret = create_client(services, NewClient(name="Desk", redirect_uris=(REDIRECT,), first_party=True))
        assert secret is not None
        self.client_id = row.id
        self.basic = base64.b64encode(f"{row.id}:{secret}".encode()).decode()

    def token_call(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        request = ProviderRequest("POST", "/oauth2/token", {"Authorization": f"Basic {self.basic}"},
                                  list(form.items()), PERSON, self.services.settings.public_url)
        answer = provider_for(self.services).create_token_response(request)
        return answer.status, answer.body

    def used_refresh_token(self) -> tuple[str, str, str]:
        """A new session, a grant of it whose refresh token has been rotated once: the session's id, the
        grant's id and the used refresh token."""
        now = self.services.clock.now()
        with self.services.db.transaction() as tx:
            _, session = issue_session(self.services, tx, self.account_id, PERSON, remember=False)
        grant_id = save_code(self.services, code := new_token("bac_"), PendingCode(
            self.client_id, self.account_id, session.id, "openid email", REDIRECT, None, CHALLENGE, "S256",
            Authentication("aal1", ("pwd",), now, None)))
        status, body = self.token_call({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                                        "code_verifier": VERIFIER})
        assert status == 200, body
        used = body["refresh_token"]
        status, body = self.token_call({"grant_type": "refresh_token", "refresh_token": used})
        assert status == 200, body
        return session.id, grant_id, used


def _at_once(*attempts: Callable[[], object]) -> list[str]:
    """Each attempt in its own thread (and so on its own connection), released together: what each
    ended with, "ok" or the database error's name (psycopg's DeadlockDetected, say)."""
    start = threading.Barrier(len(attempts))

    def run(attempt: Callable[[], object]) -> str:
        start.wait()
        try:
            attempt()
        except OperationalError as error:
            return type(error.orig).__name__
        return "ok"

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        return list(pool.map(run, attempts))


def _end_session(app: App, session_id: str) -> None:
    with app.services.db.transaction() as tx:
        assert revoke_sessions(tx, app.services.clock.now(), app.account_id, "logout", only=session_id) == 1


def _remove_access(app: App, session_id: str) -> None:
    assert remove_access(app.services, app.account_id, app.client_id, PERSON)


def _delete_client(app: App, session_id: str) -> None:
    assert delete_client(app.services, app.client_id)


def _give_consent(app: App) -> None:
    with app.services.db.transaction() as tx:
        save_consent(tx, app.services.clock.now(), app.account_id, app.client_id, ["openid"], PERSON)


def _race_once(app: App, ending: Callable[[App, str], None], delay: float) -> tuple[str, list[str]]:
    """A grant whose used refresh token is presented again as `ending` ends it, `delay` seconds later:
    the grant's id and how the two ended."""
    session_id, grant_id, used = app.used_refresh_token()
    if ending is _remove_access:
        _give_consent(app)
    # Refused the used token; or, once deleted, the client is unknown by the time it authenticates.
    refusals = {(400, "invalid_grant"), (401, "invalid_client")} if ending is _delete_client else {
        (400, "invalid_grant")}

    def reuse() -> None:
        status, body = app.token_call({"grant_type": "refresh_token", "refresh_token": used})
        assert (status, body.get("error")) in refusals, body

    def end() -> None:
        time.sleep(delay)
        ending(app, session_id)

    return grant_id, _at_once(reuse, end)


@pytest.mark.parametrize("ending", [_end_session, _remove_access, _delete_client],
                         ids=["session_ended", "access_removed", "client_deleted"])
def test_a_reused_refresh_token_and_the_end_of_its_grant_never_deadlock(
        services: Services, person: dict[str, str], ending: Callable[[App, str], None]) -> None:
    app = App(services, person["id"])
    for round_ in range(ROUNDS):
        if ending is _delete_client:
            app = App(services, person["id"])  # the last one is gone
        # The reuse reads the client and the token before it revokes: the ending starts a little later
        # each round, so that some round meets the reuse between its two statements.
        grant_id, outcomes = _race_once(app, ending, round_ % STAGGERS * STAGGER)
        assert outcomes == ["ok", "ok"], f"round {round_}: {outcomes}"
        with services.db.transaction() as tx:
            grant_ended = tx.execute(select(OidcGrant.revoked_at).where(OidcGrant.id == grant_id)).scalar_one_or_none()
            live = select(func.count()).where(OidcToken.grant_id == grant_id, OidcToken.revoked_at.is_(None))
            assert tx.execute(live).scalar_one() == 0, f"round {round_}: a token of the ended grant is still live"
        if ending is _delete_client:
            assert grant_ended is None, f"round {round_}: the grant outlived its client"
        else:
            assert grant_ended is not None, f"round {round_}: the grant was not revoked"
