"""The OpenID provider's tables: clients, signing keys, grants and their tokens, consents, logout deliveries.

They live on the shared declarative Base (bastion/schema.py imports this module, so Alembic and
the schema check see them). Every secret is kept as a SHA-256 (client secrets, codes, tokens) or
encrypted under the key ring (private signing keys).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bastion.store.base import Base
from bastion.store.types import BigIntPK, JSONText, UTCDateTime, new_id


class OidcClient(Base):
    """An application of the platform that signs people in through Bastion (a relying party)."""

    __tablename__ = "oidc_clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the public client_id
    name: Mapped[str] = mapped_column(String(100))
    # None for a public client (a mobile or single-page app): it proves itself with PKCE alone.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_offline: Mapped[bool] = mapped_column(Boolean, default=False)
    redirect_uris: Mapped[list[str]] = mapped_column(JSONText, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSONText, default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OidcSigningKey(Base):
    """A key that signs ID and logout tokens. Published in the JWKS from creation until `unpublish_at`
    (set at rotation: past the expiry of every token it signed)."""

    __tablename__ = "oidc_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    private_jwk: Mapped[str] = mapped_column(Text)  # AES-GCM under the key ring, bound to the kid
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unpublish_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OidcGrant(Base):
    """One authorization: the code, then the family of tokens exchanged from it.

    The code is consumed by a conditional UPDATE of `code_used_at`; a second use revokes the
    family. `session_id` ties the family to the Bastion session it came from: when that session
    ends, the family ends (unless it is an offline grant and the session merely signed out).
    """

    __tablename__ = "oidc_grants"
    __table_args__ = (
        Index("ix_oidc_grants_account_client", "account_id", "client_id"),
        Index("ix_oidc_grants_session_id", "session_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_clients.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    session_id: Mapped[str | None] = mapped_column(String(36))
    scope: Mapped[str] = mapped_column(String(500))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(8))
    # How the person authenticated (OIDC Core §2): assurance level, methods (RFC 8176), when.
    acr: Mapped[str] = mapped_column(String(16))
    amr: Mapped[list[str]] = mapped_column(JSONText, default=list)
    auth_time: Mapped[datetime] = mapped_column(UTCDateTime)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    code_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    code_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    revoke_reason: Mapped[str | None] = mapped_column(String(32))


class OidcToken(Base):
    """An access or refresh token of a grant. A refresh token is used once: `used_at` is set by the
    conditional UPDATE that rotates it, and a second presentation revokes the whole family."""

    __tablename__ = "oidc_tokens"
    __table_args__ = (Index("ix_oidc_tokens_grant_id", "grant_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("oidc_grants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # access | refresh
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OidcConsent(Base):
    """A person's "allow" for a third-party app and the scopes it named, until they remove it."""

    __tablename__ = "oidc_consents"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_clients.id", ondelete="CASCADE"), primary_key=True)
    scopes: Mapped[list[str]] = mapped_column(JSONText, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OidcAuthorizationRequest(Base):
    """An authorization request waiting for the person: to sign in, confirm it's them, or consent.

    Bound to the browser that made it (`browser_hash`: the hash of a cookie value), so its id in
    an address is useless elsewhere.
    """

    __tablename__ = "oidc_authorization_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    browser_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_clients.id", ondelete="CASCADE"))
    params: Mapped[dict[str, Any]] = mapped_column(JSONText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OidcLogoutDelivery(Base):
    """A back-channel logout token to POST to a client: queued with the session's end, retried with backoff."""

    __tablename__ = "oidc_logout_deliveries"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oidc_clients.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(String(36))
    session_id: Mapped[str] = mapped_column(String(36))
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
