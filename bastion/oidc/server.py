"""The OpenID provider on authlib: its authorization server with the code grant (PKCE, OpenID
Connect), refresh tokens that rotate, RFC 7009 revocation, RFC 7662 introspection, RP-initiated
logout and RFC 9207's `iss` in authorization responses. Bastion supplies the storage (grants.py,
access.py), the keys (keys.py), the client registry (clients.py) and the clock; authlib speaks the
protocol.

A token request is one transaction (grants.Unit), and what it reads more than once — its client,
the signing keys — comes from the process's session cache, dropped on every node when it changes.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, cast

from authlib.oauth2.rfc6749 import AuthorizationServer, grants  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.errors import InvalidClientError, InvalidGrantError, InvalidRequestError  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge, create_s256_code_challenge  # type: ignore[import-untyped]
from authlib.oauth2.rfc9207 import IssuerParameter  # type: ignore[import-untyped]
from authlib.oidc.core import UserInfo  # type: ignore[import-untyped]
from authlib.oidc.core.grants import OpenIDCode  # type: ignore[import-untyped]
from authlib.oidc.rpinitiated import EndSessionEndpoint  # type: ignore[import-untyped]

from bastion.crypto import new_token
from bastion.guard import clients as budget
from bastion.oidc import access
from bastion.oidc import grants as store
from bastion.oidc.clients import RegisteredClient, client_group, find_client
from bastion.oidc.grants import Authentication
from bastion.oidc.keys import DEFAULT_ALG, keys_of
from bastion.oidc.models import OidcGrant
from bastion.oidc.people import Person, restrictions_claim
from bastion.oidc.protocol import Answer, ProviderRequest, TooManyAttempts
from bastion.oidc.revocation import CLIENT_AUTH_METHODS, Introspection, Revocation
from bastion.services import Services

_CLIENT = "oidc-client:"  # cache keys of clients: this, then the client id


@dataclass(frozen=True, slots=True)
class Authorizing:
    """Who an authorization is for, from which session, and how they proved it."""

    person: Person
    session_id: str
    auth: Authentication


class CodeRef:
    """A grant as authlib's code grant and OpenID extension read it."""

    def __init__(self, grant: OidcGrant, holder: store.Holder | None = None, with_nonce: bool = True) -> None:
        self.grant = grant
        self.holder = holder
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


class RefreshRef:
    """A live refresh token as authlib's refresh grant reads it."""

    def __init__(self, live: store.LiveRefresh) -> None:
        self.live = live

    def check_client(self, client: RegisteredClient) -> bool:
        return hmac.compare_digest(self.live.grant.client_id, client.get_client_id())

    def get_scope(self) -> str:
        return self.live.scope


class Pkce(CodeChallenge):  # type: ignore[misc]
    """RFC 7636 with S256 only (RFC 9700 §2.1.1): required of public clients, honoured for all."""

    SUPPORTED_CODE_CHALLENGE_METHOD: ClassVar[list[str]] = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    CODE_CHALLENGE_METHODS: ClassVar[dict[str, Callable[[str, str], bool]]] = {"S256": lambda verifier, challenge: hmac.compare_digest(
        create_s256_code_challenge(verifier), challenge)}

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
        self._signing = threading.local()  # the key whose kid the header names signs (a rotation may come between)

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return False  # the relying party checks its own nonce; codes are single use here

    def get_client_algorithm(self, client: Any) -> str:
        return DEFAULT_ALG

    def get_encode_header(self, client: Any) -> dict[str, str]:
        key = self._signing.key = self.provider.keys.signing_key(DEFAULT_ALG)
        return {"alg": DEFAULT_ALG, "kid": str(key.kid), "typ": "JWT"}

    def resolve_client_private_key(self, client: Any) -> Any:
        key, self._signing.key = getattr(self._signing, "key", None), None
        return key or self.provider.keys.signing_key(DEFAULT_ALG)

    def get_client_claims(self, client: Any) -> dict[str, Any]:
        now = int(self.provider.services.clock.now().timestamp())
        return {"iss": self.provider.issuer, "aud": client.get_client_id(), "iat": now,
                "exp": now + self.provider.services.settings.oidc_id_token_seconds}

    def get_authorization_code_claims(self, authorization_code: Any) -> dict[str, Any]:
        claims = super().get_authorization_code_claims(authorization_code)
        claims["sid"] = authorization_code.grant.session_id
        return cast(dict[str, Any], claims)

    def generate_user_info(self, user: Person, scope: str) -> UserInfo:
        return user_claims(user, scope)

    def refresh_id_token(self, grant: Any, response: Any) -> Any:
        """OIDC Core §12.2: a refresh answers a new ID token of the same authentication (no nonce)."""
        _, token, _ = response
        request = grant.request
        if "openid" in (token.get("scope") or "").split():
            request.authorization_code = CodeRef(request.refresh_token.live.grant, with_nonce=False)
            token["id_token"] = self.encode_id_token(token, request)
        return token


def user_claims(person: Person, scope: str, info: access.TokenInfo | None = None,
                now: datetime | None = None) -> UserInfo:
    """The person's claims for these scopes; at userinfo (`info`, the access token), with scope
    `restrictions`, the `bastion` claim too (not in ID tokens: holds change, and apps must ask)."""
    scopes = set(scope.split())
    claims: dict[str, Any] = {"sub": person.id}
    if "email" in scopes:
        claims.update(email=person.email, email_verified=person.email_verified)
    if "restrictions" in scopes and info is not None and now is not None:
        claims["bastion"] = restrictions_claim(person, info.holds, now)
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
        found = store.find_code(self.request.unit.tx, self.server.services.clock.now(), code,
                                client.get_client_id(), self.request.bastion_client)
        return CodeRef(*found) if found is not None else None

    def delete_authorization_code(self, authorization_code: CodeRef) -> None:
        return None  # consumed in save_token, atomically with the tokens it buys

    def authenticate_user(self, authorization_code: CodeRef) -> Person | None:
        return authorization_code.holder.person if authorization_code.holder is not None else None


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotated on every use (RFC 9700 §4.14.2)

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshRef | None:
        if not refresh_token.startswith(store.REFRESH_PREFIX) or len(refresh_token) > 128:
            return None
        live = store.find_refresh(self.request.unit.tx, self.server.services.clock.now(), refresh_token,
                                  self.request.client.get_client_id(), self.request.bastion_client)
        return RefreshRef(live) if live is not None else None

    def authenticate_user(self, refresh_token: RefreshRef) -> Person | None:
        return refresh_token.live.holder.person

    def revoke_old_credential(self, refresh_token: RefreshRef) -> None:
        return None  # used up in save_token, atomically with its successors


class EndSession(EndSessionEndpoint):  # type: ignore[misc]
    def get_server_jwks(self) -> dict[str, Any]:
        return cast(dict[str, Any], self.server.keys.jwks())

    def _validate_id_token_hint(self, id_token_hint: str) -> dict[str, Any]:
        claims = super()._validate_id_token_hint(id_token_hint)
        if claims.get("iss") != self.server.issuer:
            raise InvalidRequestError("The id_token_hint was not issued here.")
        return cast(dict[str, Any], claims)

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
        """authlib asks several times per request: a registered client is kept in the session cache,
        and a new secret or a deleted client drops it (clients.py), here at once, elsewhere as sessions."""
        if not isinstance(client_id, str) or not client_id or len(client_id) > 64 or "\x00" in client_id:
            return None
        cache = self.services.session_cache
        known: RegisteredClient | None = cache.get(_CLIENT + client_id)
        if known is not None:
            return known
        generation, loaded_at = cache.generation, time.monotonic()  # before the read: see SessionCache.put
        row = find_client(self.services, client_id)
        if row is None:
            return None
        client = RegisteredClient(row)
        cache.put(_CLIENT + client_id, client, (client_group(client_id),), generation, loaded_at, kind=_CLIENT)
        return client

    def create_token_response(self, request: Any = None) -> Any:
        """authlib's token endpoint in one transaction (grants.Unit): the single use of the code or
        refresh token and what it buys commit together before the answer leaves, or not at all."""
        self.keys.signing_key()  # loaded before it: on SQLite a first load writes (keys.ensure_signing_keys)
        with ExitStack() as stack:
            request.unit = store.Unit(self.services.db, stack)
            return super().create_token_response(request)

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
        now, tx = self.services.clock.now(), request.unit.tx
        access_token, refresh_token = token["access_token"], token.get("refresh_token")
        try:
            if request.authorization_code is not None:
                code: CodeRef = request.authorization_code
                if code.holder is None:  # query_authorization_code gives out only codes with their holder
                    raise InvalidGrantError()
                rows = store.new_tokens(self.services, code.grant, code.holder, access_token, refresh_token,
                                        token["scope"], now)
                store.exchange_code(tx, now, code.grant, rows, request.bastion_client)
            else:
                live = request.refresh_token.live
                rows = store.new_tokens(self.services, live.grant, live.holder, access_token, refresh_token,
                                        token["scope"], now)
                store.rotate_refresh(tx, now, live, rows, request.bastion_client)
        except store.Refused:
            raise InvalidGrantError() from None

    def create_oauth2_request(self, request: Any) -> ProviderRequest:
        return cast(ProviderRequest, request)  # the web layer builds it (protocol.py)

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
    provider = services.__dict__.get("oidc_provider")
    if provider is None:
        provider = services.__dict__.setdefault("oidc_provider", Provider(services))
    return cast(Provider, provider)
