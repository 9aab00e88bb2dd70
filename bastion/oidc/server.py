"""The OpenID provider on authlib: its authorization server with the code grant (PKCE, OpenID
Connect), refresh tokens that rotate, RFC 7009 revocation, RFC 7662 introspection, RP-initiated
logout and RFC 9207's `iss` in authorization responses. Bastion supplies the storage (grants.py),
the keys (keys.py), the client registry (clients.py) and the clock; authlib speaks the protocol.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

# authlib ships no type information (no py.typed): its imports and the classes built on them are
# marked, each with the code mypy gives.
from authlib.oauth2.rfc6749 import AuthorizationServer, grants  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge, create_s256_code_challenge  # type: ignore[import-untyped]
from authlib.oauth2.rfc7662 import IntrospectionEndpoint  # type: ignore[import-untyped]
from authlib.oauth2.rfc9207 import IssuerParameter  # type: ignore[import-untyped]
from authlib.oidc.core import UserInfo  # type: ignore[import-untyped]
from authlib.oidc.core.grants import OpenIDCode  # type: ignore[import-untyped]
from authlib.oidc.rpinitiated import EndSessionEndpoint  # type: ignore[import-untyped]

from bastion.crypto import new_token
from bastion.guard import clients as budget
from bastion.oidc import grants as store
from bastion.oidc.clients import RegisteredClient, find_client
from bastion.oidc.grants import Authentication
from bastion.oidc.keys import DEFAULT_ALG, keys_of
from bastion.oidc.models import OidcGrant
from bastion.oidc.people import Person, load_person, restrictions_claim
from bastion.oidc.protocol import Answer, ProviderRequest, TooManyAttempts
from bastion.services import Services

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
CLIENT_CACHE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Authorizing:
    """Who an authorization is for, from which session, and how they proved it."""

    person: Person
    session_id: str
    auth: Authentication


class CodeRef:
    """A grant as authlib's code grant and OpenID extension read it."""

    def __init__(self, grant: OidcGrant, with_nonce: bool = True) -> None:
        self.grant = grant
        self.code_challenge = grant.code_challenge
        self.code_challenge_method = grant.code_challenge_method
        self.with_nonce = with_nonce

    def get_redirect_uri(self) -> str:
        return self.grant.redirect_uri

    def get_scope(self) -> str:
        return self.grant.scope

    def get_nonce(self) -> str | None:
        return self.grant.nonce if self.with_nonce else None

    def get_auth_time(self) -> int:
        return int(self.grant.auth_time.timestamp())

    def get_acr(self) -> str:
        return self.grant.acr

    def get_amr(self) -> list[str]:
        return list(self.grant.amr)


class TokenRef:
    """A stored access or refresh token as authlib's endpoints and validators read it."""

    def __init__(self, info: store.TokenInfo, refresh: store.LiveRefresh | None = None) -> None:
        self.info = info
        self.live = refresh
        self.scope = info.scope

    def check_client(self, client: RegisteredClient) -> bool:
        return hmac.compare_digest(self.info.grant.client_id, client.get_client_id())

    def get_scope(self) -> str:
        return self.info.scope

    def is_expired(self) -> bool:
        return not self.info.live

    def is_revoked(self) -> bool:
        return not self.info.live


class Pkce(CodeChallenge):  # type: ignore[misc]
    """RFC 7636 with S256 only (RFC 9700 §2.1.1): required of public clients, honoured for all."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    CODE_CHALLENGE_METHODS: ClassVar[dict[str, Callable[[str, str], bool]]] = {
        "S256": lambda verifier, challenge: hmac.compare_digest(create_s256_code_challenge(verifier), challenge)}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if grant.request.client.public and not data.get("code_challenge"):
            raise InvalidRequestError("A public client must send a PKCE code_challenge (S256).")
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported.")
        super().validate_code_challenge(grant, redirect_uri)


class IdTokens(OpenIDCode):  # type: ignore[misc]
    """ID tokens signed with the current key (its `kid` in the header), times from Bastion's clock."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(require_nonce=False)
        self.provider = provider

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return False  # the relying party checks its own nonce; codes are single use here

    def get_client_algorithm(self, client: Any) -> str:
        return DEFAULT_ALG

    def resolve_client_private_key(self, client: Any) -> Any:
        return self.provider.keys.signing_key(DEFAULT_ALG)

    def get_encode_header(self, client: Any) -> dict[str, str]:
        return {"alg": DEFAULT_ALG, "kid": str(self.provider.keys.signing_key(DEFAULT_ALG).kid), "typ": "JWT"}

    def get_client_claims(self, client: Any) -> dict[str, Any]:
        now = int(self.provider.services.clock.now().timestamp())
        return {"iss": self.provider.issuer, "aud": client.get_client_id(), "iat": now,
                "exp": now + self.provider.services.settings.oidc_id_token_seconds}

    def get_authorization_code_claims(self, authorization_code: Any) -> dict[str, Any]:
        claims: dict[str, Any] = super().get_authorization_code_claims(authorization_code)
        claims["sid"] = authorization_code.grant.session_id
        return claims

    def generate_user_info(self, user: Person, scope: str) -> UserInfo:
        return user_claims(self.provider.services, user, scope, in_id_token=True)

    def refresh_id_token(self, grant: Any, response: Any) -> Any:
        """OIDC Core §12.2: a refresh answers a new ID token of the same authentication (no nonce)."""
        _, token, _ = response
        request = grant.request
        if "openid" in (token.get("scope") or "").split():
            request.authorization_code = CodeRef(request.refresh_token.live.grant, with_nonce=False)
            token["id_token"] = self.encode_id_token(token, request)
        return token


def user_claims(services: Services, person: Person, scope: str, in_id_token: bool = False) -> UserInfo:
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": person.id}
    if "email" in scopes:
        claims.update(email=person.email, email_verified=person.email_verified)
    if "restrictions" in scopes and not in_id_token:
        claims["bastion"] = restrictions_claim(services, person)
    return UserInfo(claims)


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def generate_authorization_code(self) -> str:
        return new_token("bac_")

    def save_authorization_code(self, code: str, request: ProviderRequest) -> None:
        who: Authorizing = request.user
        data = request.payload.data
        store.save_code(self.server.services, code, store.PendingCode(
            client_id=request.client.get_client_id(), account_id=who.person.id, session_id=who.session_id,
            scope=request.scope or "", redirect_uri=request.payload.redirect_uri, nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"), code_challenge_method=data.get("code_challenge_method"),
            auth=who.auth))

    def query_authorization_code(self, code: str, client: RegisteredClient) -> CodeRef | None:
        if not code.startswith("bac_") or len(code) > 128:
            return None
        grant = store.find_code(self.server.services, code, client.get_client_id(), self.request.bastion_client)
        return CodeRef(grant) if grant is not None else None

    def delete_authorization_code(self, authorization_code: CodeRef) -> None:
        return None  # consumed in save_token, atomically with the tokens it buys

    def authenticate_user(self, authorization_code: CodeRef) -> Person | None:
        return load_person(self.server.services, authorization_code.grant.account_id)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotated on every use (RFC 9700 §4.14.2)

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRef | None:
        if not refresh_token.startswith(store.REFRESH_PREFIX) or len(refresh_token) > 128:
            return None
        client = self.request.client
        live = store.find_refresh(self.server.services, refresh_token, client.get_client_id(),
                                  self.request.bastion_client)
        if live is None:
            return None
        info = store.TokenInfo("refresh", live.scope, live.grant.created_at, live.grant.created_at, True, live.grant)
        return TokenRef(info, live)

    def authenticate_user(self, refresh_token: TokenRef) -> Person | None:
        return load_person(self.server.services, refresh_token.info.grant.account_id)

    def revoke_old_credential(self, refresh_token: TokenRef) -> None:
        return None  # used up in save_token, atomically with its successors


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRef | None:
        info = store.token_info(self.server.services, token_string)
        return TokenRef(info) if info is not None else None

    def authenticate_token(self, request: Any, client: RegisteredClient) -> TokenRef | None:
        token = super().authenticate_token(request, client)
        return token if token is not None and token.info.live else None

    def revoke_token(self, token: TokenRef, request: Any) -> None:
        store.revoke_token(self.server.services, token.info, request.bastion_client)


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    """A client may introspect its own tokens; a first-party confidential client (the platform's own
    resource servers) any token."""

    CLIENT_AUTH_METHODS: ClassVar[list[str]] = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRef | None:
        info = store.token_info(self.server.services, token_string)
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


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    def get_server_jwks(self) -> dict[str, Any]:
        provider: Provider = self.server
        return provider.keys.jwks()

    def _validate_id_token_hint(self, id_token_hint: str) -> dict[str, Any]:
        claims: dict[str, Any] = super()._validate_id_token_hint(id_token_hint)
        if claims.get("iss") != self.server.issuer:
            raise InvalidRequestError("The id_token_hint was not issued here.")
        return claims

    def end_session(self, end_session_request: Any) -> None:
        return None  # the web layer ends the browser's session (it holds the cookie)


class Issuer(IssuerParameter):  # type: ignore[misc]
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


class Provider(AuthorizationServer):  # type: ignore[misc]
    """One per process (web.oidc keeps it on the app)."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self._clients: dict[str, tuple[float, RegisteredClient | None]] = {}
        self.issuer = services.settings.public_url
        self.keys = keys_of(services)
        self.id_tokens = IdTokens(self)
        self.register_token_generator("default", self._generate_token)
        self.register_grant(CodeGrant, [Pkce(required=True), self.id_tokens])
        self.register_grant(RefreshGrant, [lambda grant: grant.register_hook(
            "after_create_token_response", self.id_tokens.refresh_id_token)])
        for endpoint in (Revocation, Introspection, EndSession):
            self.register_endpoint(endpoint)
        self.issuer_parameter = Issuer(self.issuer)
        self.register_extension(lambda server: self.issuer_parameter(server))

    def query_client(self, client_id: str) -> RegisteredClient | None:
        """authlib asks several times per request: the answer is kept a second (a new secret or a
        deleted client takes effect within that second)."""
        if not isinstance(client_id, str) or not client_id or len(client_id) > 64 or "\x00" in client_id:
            return None
        now = self.services.clock.now().timestamp()
        known = self._clients.get(client_id)
        if known is not None and now - known[0] < CLIENT_CACHE_SECONDS:
            return known[1]
        row = find_client(self.services, client_id)
        client = RegisteredClient(row) if row is not None else None
        if len(self._clients) > 10_000:
            self._clients.clear()
        self._clients[client_id] = (now, client)
        return client

    def authenticate_client(self, request: ProviderRequest, methods: list[str], endpoint: str = "token") -> Any:
        """authlib's client authentication, within the budget of failures (bastion.guard.clients)."""
        claimed = _claimed_client_id(request)
        ip = request.bastion_client.ip
        now = self.services.clock.now()
        # Only a confidential client's id is paused (from the guessing IP): a public one has no secret.
        known = self.query_client(claimed) if claimed and claimed is not _UNREADABLE else None
        secret_holder = claimed if known is not None and not known.public else None
        wait = budget.paused_for(self.services, secret_holder, ip, now)
        if wait is not None:
            raise TooManyAttempts(wait)
        try:
            if claimed is _UNREADABLE:
                raise InvalidClientError(status_code=401, description="The Basic credentials are not readable.")
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError:
            budget.count_failure(self.services, secret_holder, ip, now)
            raise

    def _generate_token(self, grant_type: str, client: Any, user: Any = None, scope: str | None = None,
                        expires_in: int | None = None, include_refresh_token: bool = True) -> dict[str, Any]:
        token = {"token_type": "Bearer", "access_token": new_token(store.ACCESS_PREFIX),
                 "expires_in": self.services.settings.oidc_access_token_seconds, "scope": scope or ""}
        if include_refresh_token:
            token["refresh_token"] = new_token(store.REFRESH_PREFIX)
        return token

    def save_token(self, token: dict[str, Any], request: ProviderRequest) -> None:
        now = self.services.clock.now()
        try:
            if request.authorization_code is not None:
                grant = request.authorization_code.grant
                rows = store.new_tokens(self.services, grant, token["access_token"], token.get("refresh_token"),
                                        token["scope"], now)
                store.exchange_code(self.services, grant, rows, request.bastion_client)
            else:
                live = request.refresh_token.live
                rows = store.new_tokens(self.services, live.grant, token["access_token"],
                                        token.get("refresh_token"), token["scope"], now)
                store.rotate_refresh(self.services, live, rows, request.bastion_client)
        except store.Refused:
            raise InvalidGrantError() from None

    def create_oauth2_request(self, request: ProviderRequest) -> ProviderRequest:
        return request  # the web layer builds it (protocol.py)

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("no JSON requests here")

    def handle_response(self, status: int, body: Any, headers: Any) -> Answer:
        return Answer(status, body, list(headers or []))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def error_answer(self, request: ProviderRequest, error: Any) -> Answer:
        """An error for the client; one sent back to its redirect address carries `iss` too."""
        answer: Answer = self.handle_error_response(request, error)
        if answer.location:
            self.issuer_parameter.add_issuer_parameter(self, answer)
        return answer


_UNREADABLE = "\x00unreadable"  # Basic credentials authlib cannot read (no client id can contain NUL)


def _claimed_client_id(request: ProviderRequest) -> str | None:
    from authlib.oauth2.rfc6749.util import extract_basic_authorization  # type: ignore[import-untyped]

    try:
        client_id, _ = extract_basic_authorization(request.headers)
    except ValueError:  # not UTF-8, or "Basic" and blanks: authlib raises; refused as invalid_client, never a 500
        return _UNREADABLE
    return client_id or request.payload.data.get("client_id")


def provider_for(services: Services) -> Provider:
    """The process's provider for these services (built once: its keys are decrypted once)."""
    provider: Provider | None = services.__dict__.get("oidc_provider")
    if provider is None:
        provider = services.__dict__.setdefault("oidc_provider", Provider(services))
    return provider
