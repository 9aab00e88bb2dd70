"""What apps may ask about the tokens they hold: RFC 7009 revocation and RFC 7662 introspection,
on authlib's endpoints, and the token as authlib's validators read it (userinfo's too)."""

from __future__ import annotations

import hmac
from typing import Any, ClassVar

from authlib.oauth2.rfc7009 import RevocationEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc7662 import IntrospectionEndpoint  # type: ignore[import-untyped]

from bastion.audit import record_event
from bastion.oidc import access
from bastion.oidc import grants as store
from bastion.oidc.clients import RegisteredClient

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


class TokenRef:
    """A stored access or refresh token as authlib's endpoints and validators read it."""

    def __init__(self, info: access.TokenInfo) -> None:
        self.info = info
        self.scope = info.scope

    def check_client(self, client: RegisteredClient) -> bool:
        return hmac.compare_digest(self.info.grant.client_id, client.get_client_id())

    def get_scope(self) -> str:
        return self.info.scope

    def is_expired(self) -> bool:
        return not self.info.live

    def is_revoked(self) -> bool:
        return not self.info.live


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRef | None:
        info = access.token_info(self.server.services, token_string)
        return TokenRef(info) if info is not None else None

    def authenticate_token(self, request: Any, client: RegisteredClient) -> TokenRef | None:
        token = super().authenticate_token(request, client)
        return token if token is not None and token.info.live else None

    def revoke_token(self, token: TokenRef, request: Any) -> None:
        """RFC 7009 §2.1: revoking a refresh token ends the grant with its access tokens; revoking an
        access token ends that token (it lives minutes anyway) and, here, its family too."""
        services, info = self.server.services, token.info
        now = services.clock.now()
        with services.db.transaction() as tx:
            if store.revoke_family(tx, info.grant, now, "revoked_by_client"):
                record_event(tx, now, "oidc.token_revoked", info.grant.account_id, request.bastion_client,
                             client_id=info.grant.client_id, grant_id=info.grant.id, token_kind=info.kind)


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """A client may introspect its own tokens; a first-party confidential client (the platform's own
    resource servers) any token."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRef | None:
        """An access token from memory when this node may trust it (access.py); None when not live."""
        services = self.server.services
        if token_string.startswith(store.ACCESS_PREFIX):
            info = access.live_access_token(services, token_string)
        else:
            info = access.token_info(services, token_string)
        return TokenRef(info) if info is not None else None

    def check_permission(self, token: TokenRef, client: RegisteredClient, request: Any) -> bool:
        return token.check_client(client) or client.row.first_party

    def introspect_token(self, token: TokenRef) -> dict[str, Any]:
        info = token.info
        grant = info.grant
        return {"active": True, "client_id": grant.client_id, "token_type": "Bearer" if info.kind == "access"
                else "refresh_token", "scope": info.scope, "sub": grant.account_id, "aud": grant.client_id,
                "iss": self.server.issuer, "exp": int(info.expires_at.timestamp()),
                "iat": int(info.created_at.timestamp()), "sid": grant.session_id, "acr": grant.acr}
