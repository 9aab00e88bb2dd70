"""When sessions end, the apps hear of it: back-channel logout (OpenID Connect Back-Channel Logout 1.0).

`sessions_ended` runs inside the transaction that ends the sessions (bastion.sessions.revocation
`revoke_sessions`: sign-out, freeze, password reset or change, 2FA reset, suspension, ban, the
person or support ending a session). It ends the grants those sessions gave — and, when the
reason is about the account's safety, every grant of the account, offline ones too — and queues a
logout token for each app with a back-channel address that the sessions signed in to. The queue
is delivered on its own thread (bastion.oidc.backchannel `BackchannelWorker`), apart from mail and
the audit trail: an HTTP POST per token under a hard deadline, retried with the outbox's backoff
until the app answers 2xx.
"""

from __future__ import annotations

import logging
import secrets
import threading
import urllib.parse
from datetime import datetime, timedelta

from joserfc import jwt
from sqlalchemy.orm import Session as Tx

from bastion.notify.delivery import backoff
from bastion.oidc.backchannel import internal_allowed, post_all
from bastion.oidc.grants import revoke_grants
from bastion.oidc.keys import DEFAULT_ALG, keys_of
from bastion.oidc.models import OidcLogoutDelivery
from bastion.oidc.repo import clients, logouts
from bastion.oidc.repo import grants as grant_repo
from bastion.services import Services

log = logging.getLogger("bastion.oidc")

# Reasons that say the account may be in someone else's hands: offline grants end too.
ACCOUNT_AT_RISK = frozenset({"frozen", "suspended", "banned", "password_reset", "password_changed", "mfa_reset"})
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_SECONDS = 120  # Back-Channel Logout §2.4: short-lived
CLAIM_FOR = timedelta(minutes=1)  # several times a POST's deadline: no other node takes a delivery still running


def sessions_ended(tx: Tx, now: datetime, account_id: str, session_ids: list[str], reason: str,
                   keep: str | None = None) -> None:
    """End what the sessions gave the apps, and queue their logout tokens, in the caller's transaction."""
    if not session_ids and reason not in ACCOUNT_AT_RISK:
        return
    if reason in ACCOUNT_AT_RISK:
        grant_ids = grant_repo.live_grants_of_account(tx, account_id, keep)
    else:
        grant_ids = grant_repo.live_online_grants_of_sessions(tx, account_id, session_ids)
    revoke_grants(tx, now, f"session_{reason}"[:32], grant_ids)
    if not session_ids:
        return
    for client_id, session_id in logouts.apps_to_notify(tx, session_ids):
        logouts.queue_logout(tx, client_id, account_id, session_id, secrets.token_urlsafe(24), now)


def logout_token(services: Services, delivery: OidcLogoutDelivery) -> str:
    key = keys_of(services).signing_key(DEFAULT_ALG)
    now = int(services.clock.now().timestamp())
    claims = {"iss": services.settings.public_url, "aud": delivery.client_id, "iat": now,
              "exp": now + LOGOUT_TOKEN_SECONDS, "jti": delivery.jti, "sub": delivery.account_id,
              "sid": delivery.session_id, "events": {LOGOUT_EVENT: {}}}
    return jwt.encode({"alg": DEFAULT_ALG, "kid": str(key.kid), "typ": "logout+jwt"}, claims, key)


def deliver_logout_tokens(services: Services, batch: int = 20) -> int:
    """Send what is due now (claimed first, so several workers send each once), side by side, each
    POST within its deadline (bastion.oidc.backchannel); returns how many were delivered."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        due = logouts.due_deliveries(tx, now, services.settings.outbox_max_attempts, batch)
    claimed: list[tuple[OidcLogoutDelivery, str | None]] = []
    for delivery_id in due:
        with services.db.transaction() as tx:
            row = logouts.claim_delivery(tx, delivery_id, now, now + CLAIM_FOR)
            uri = clients.backchannel_uri(tx, row.client_id) if row else None
        if row is not None:
            claimed.append((row, uri))
    posts = [(uri, urllib.parse.urlencode({"logout_token": logout_token(services, row)}).encode())
             for row, uri in claimed if uri]
    failures = iter(post_all(posts, internal_allowed(services.settings)))
    sent = 0
    for row, uri in claimed:
        error = next(failures) if uri else None  # an app without the address any more: nothing to send
        values: dict[str, object] = {"attempts": row.attempts + 1, "locked_until": None}
        if error is None:
            values.update(sent_at=services.clock.now(), last_error=None)
            sent += 1
        else:
            log.warning("logout token not delivered", extra={"client_id": row.client_id, "attempt": row.attempts + 1,
                                                            "error": type(error).__name__})
            values.update(next_attempt_at=services.clock.now() + backoff(row.attempts + 1),
                          last_error=f"{type(error).__name__}: {error}"[:500])
        with services.db.transaction() as tx:
            logouts.record_attempt(tx, row.id, values)
    return sent


class BackchannelWorker:
    """Delivers the logout queue on its own thread of the serving process (or of `bastion worker`)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bastion-backchannel", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                deliver_logout_tokens(self.services)
            except Exception:  # database down, etc.: keep the loop alive and retry
                log.exception("back-channel logout pass failed")
            self._stop.wait(self.services.settings.outbox_poll_seconds)
