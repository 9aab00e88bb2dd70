"""Every value encrypted under the key ring, for `bastion keys rotate` (requirements §14)."""

from __future__ import annotations

from bastion.accounts.models import Account
from bastion.crypto.rotation import Protected
from bastion.mfa.registry import METHODS
from bastion.notify.models import OutboxMessage
from bastion.notify.outbox import anti_phishing_aad
from bastion.oidc.models import OidcSigningKey


def protected_values() -> tuple[Protected, ...]:
    return (
        *METHODS.protected(),
        Protected("anti-phishing codes", Account, ("anti_phishing_code",), lambda row: anti_phishing_aad(row.id)),
        Protected("email bodies (outbox)", OutboxMessage, ("body_text", "body_html"),
                  lambda row: f"outbox/{row.dedup_key}"),
        Protected("OpenID signing keys", OidcSigningKey, ("private_jwk",), lambda row: f"oidc_signing_keys/{row.kid}"),
    )
