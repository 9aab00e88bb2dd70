"""When sessions end, the apps hear of it: back-channel logout (OpenID Connect Back-Channel Logout 1.0).

`sessions_ended` runs inside the transaction that ends the sessions (bastion.sessions.revocation
`revoke_sessions`: sign-out, freeze, password reset or change, 2FA reset, suspension, ban, the
person or support ending a session). It ends the grants those sessions gave — and, when the
reason is about the account's safety, every grant of the account, offline ones too — and queues a
logout token for each app with a back-channel address that the sessions signed in to. The queue
is delivered by the background worker (bastion.worker, the job in oidc/jobs.py): an HTTP POST per
token, retried with the outbox's backoff until the app answers 2xx.
"""

from __future__ import annotations

import logging
import secrets
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta

from joserfc import jwt
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session as Tx

from bastion.notify.delivery import backoff
from bastion.oidc.grants import revoke_grants
from bastion.oidc.keys import DEFAULT_ALG, keys_of
from bastion.oidc.models import OidcClient, OidcGrant, OidcLogoutDelivery
from bastion.services import Services
from bastion.store.changes import rows_changed

log = logging.getLogger("bastion.oidc")

# Reasons that say the account may be in someone else's hands: offline grants end too.
ACCOUNT_AT_RISK = frozenset({"frozen", "suspended", "banned", "password_reset", "password_changed", "mfa_reset"})
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_SECONDS = 120  # Back-Channel Logout §2.4: short-lived
CLAIM_FOR = timedelta(minutes=1)
TIMEOUT_SECONDS = 5.0


def sessions_ended(tx: Tx, now: datetime, account_id: str, session_ids: list[str], reason: str,
                   keep: str | None = None) -> None:
    """End what the sessions gave the apps, and queue their logout tokens, in the caller's transaction."""
    if not session_ids and reason not in ACCOUNT_AT_RISK:
        return
    grants = select(OidcGrant.id).where(OidcGrant.account_id == account_id, OidcGrant.revoked_at.is_(None))
    if reason in ACCOUNT_AT_RISK:
        grants = grants.where(or_(OidcGrant.session_id.is_(None), OidcGrant.session_id != (keep or "")))
    else:
        grants = grants.where(OidcGrant.session_id.in_(session_ids), OidcGrant.offline.is_(False))
    revoke_grants(tx, now, f"session_{reason}"[:32], list(tx.execute(grants).scalars()))
    if not session_ids:
        return
    signed_in = tx.execute(
        select(OidcGrant.client_id, OidcGrant.session_id).distinct()
        .join(OidcClient, OidcClient.id == OidcGrant.client_id)
        .where(OidcGrant.session_id.in_(session_ids), OidcClient.backchannel_logout_uri.is_not(None))
    ).all()
    for client_id, session_id in signed_in:
        tx.add(OidcLogoutDelivery(client_id=client_id, account_id=account_id, session_id=session_id,
                                  jti=secrets.token_urlsafe(24), created_at=now, next_attempt_at=now, attempts=0))


def logout_token(services: Services, delivery: OidcLogoutDelivery) -> str:
    key = keys_of(services).signing_key(DEFAULT_ALG)
    now = int(services.clock.now().timestamp())
    claims = {"iss": services.settings.public_url, "aud": delivery.client_id, "iat": now,
              "exp": now + LOGOUT_TOKEN_SECONDS, "jti": delivery.jti, "sub": delivery.account_id,
              "sid": delivery.session_id, "events": {LOGOUT_EVENT: {}}}
    return jwt.encode({"alg": DEFAULT_ALG, "kid": str(key.kid), "typ": "logout+jwt"}, claims, key)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a logout token goes to the registered address only


_OPENER = urllib.request.build_opener(_NoRedirects)


def post_logout_token(uri: str, token: str) -> None:
    """POST it (§2.5); anything but a 2xx answer is a failure to retry."""
    if urllib.parse.urlsplit(uri).scheme not in {"https", "http"}:  # registration allows no other
        raise ValueError("a back-channel logout address must be http(s)")
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    request = urllib.request.Request(uri, data=body, method="POST",  # noqa: S310 - http(s), checked above
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
        if not 200 <= answer.status < 300:
            raise urllib.error.HTTPError(uri, answer.status, "not delivered", answer.headers, None)


def deliver_logout_tokens(services: Services, batch: int = 20) -> int:
    """Send what is due now (claimed first, so several workers send each once); returns how many."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        due = list(tx.execute(
            select(OidcLogoutDelivery.id)
            .where(OidcLogoutDelivery.sent_at.is_(None), OidcLogoutDelivery.next_attempt_at <= now,
                   OidcLogoutDelivery.attempts < services.settings.outbox_max_attempts,
                   or_(OidcLogoutDelivery.locked_until.is_(None), OidcLogoutDelivery.locked_until < now))
            .order_by(OidcLogoutDelivery.id).limit(batch)).scalars())
    sent = 0
    for delivery_id in due:
        with services.db.transaction() as tx:
            claimed = rows_changed(tx, update(OidcLogoutDelivery)
                                 .where(OidcLogoutDelivery.id == delivery_id, OidcLogoutDelivery.sent_at.is_(None),
                                        or_(OidcLogoutDelivery.locked_until.is_(None),
                                            OidcLogoutDelivery.locked_until < now))
                                 .values(locked_until=now + CLAIM_FOR))
            row = tx.get(OidcLogoutDelivery, delivery_id) if claimed else None
            uri = tx.execute(select(OidcClient.backchannel_logout_uri)
                             .where(OidcClient.id == row.client_id)).scalar_one_or_none() if row else None
        if row is None:
            continue
        attempts, error = row.attempts + 1, None
        try:
            if uri:
                post_logout_token(uri, logout_token(services, row))
        except Exception as failure:  # unreachable, refused, timed out: keep it and try again later
            error = failure
        values: dict[str, object] = {"attempts": attempts, "locked_until": None}
        if error is None:
            values.update(sent_at=services.clock.now(), last_error=None)
            sent += 1
        else:
            log.warning("logout token not delivered", extra={"client_id": row.client_id, "attempt": attempts,
                                                            "error": type(error).__name__})
            values.update(next_attempt_at=services.clock.now() + backoff(attempts),
                          last_error=f"{type(error).__name__}: {error}"[:500])
        with services.db.transaction() as tx:
            tx.execute(update(OidcLogoutDelivery).where(OidcLogoutDelivery.id == delivery_id).values(**values))
    return sent
