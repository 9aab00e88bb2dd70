"""The provider's tidying, in the background pass's sweep: what expired long enough ago goes.

A day's grace keeps the precise answers (a code or token a day old is still known, and refused as
used or expired rather than unknown); delivered logout tokens are kept a week for support.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, delete, or_

from bastion.oidc.models import OidcAuthorizationRequest, OidcGrant, OidcLogoutDelivery, OidcToken
from bastion.services import Services
from bastion.store.changes import rows_changed

GRACE = timedelta(days=1)


def sweep_oidc(services: Services) -> dict[str, int]:
    now = services.clock.now()
    gone: dict[str, int] = {}
    statements = {
        "oidc_authorization_requests": delete(OidcAuthorizationRequest)
        .where(OidcAuthorizationRequest.expires_at < now - GRACE),
        "oidc_tokens": delete(OidcToken).where(OidcToken.expires_at < now - GRACE),
        # Grants whose code was never exchanged, and revoked ones (their tokens are gone with them).
        "oidc_grants": delete(OidcGrant).where(or_(
            and_(OidcGrant.code_used_at.is_(None), OidcGrant.code_expires_at < now - GRACE),
            OidcGrant.revoked_at < now - timedelta(days=30))),
        "oidc_logout_deliveries": delete(OidcLogoutDelivery).where(OidcLogoutDelivery.sent_at < now - timedelta(days=7)),
    }
    for name, statement in statements.items():
        with services.db.transaction() as tx:
            gone[name] = rows_changed(tx, statement)
    return gone
