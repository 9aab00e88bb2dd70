"""The provider's machine-to-machine endpoints: discovery, JWKS, token, userinfo, RFC 7662
introspection, RFC 7009 revocation. Each answers in OAuth's own format (`error`,
`error_description`), never a problem page: their callers are apps, not people.

Apps in a browser (single-page apps, public clients) call them across origins: they answer CORS
for any origin, without credentials (no cookie is ever read here).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from authlib.oauth2.rfc6749.errors import OAuth2Error  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749.resource_protector import ResourceProtector  # type: ignore[import-untyped]
from authlib.oauth2.rfc6750 import BearerTokenValidator  # type: ignore[import-untyped]
from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from bastion.oidc.access import TokenInfo, access_from_memory, live_access_token
from bastion.oidc.authn import ACR_VALUES
from bastion.oidc.clients import SCOPES
from bastion.oidc.people import Person
from bastion.oidc.protocol import ProviderRequest
from bastion.oidc.revocation import TokenRef
from bastion.oidc.server import Provider, provider_for, user_claims
from bastion.web.client import client_from
from bastion.web.oidc.delivery import http_answer

router = APIRouter(include_in_schema=False)
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Max-Age": "600",
        "Cross-Origin-Resource-Policy": "cross-origin"}
CORS_PATHS = ("/.well-known/openid-configuration", "/oauth2/jwks", "/oauth2/token", "/oauth2/userinfo",
              "/oauth2/revoke")


def discovery_document(provider: Provider) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §3 (with RFC 8414's revocation and introspection members)."""
    base = provider.issuer
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "userinfo_endpoint": f"{base}/oauth2/userinfo",
        "jwks_uri": f"{base}/oauth2/jwks",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "introspection_endpoint": f"{base}/oauth2/introspect",
        "end_session_endpoint": f"{base}/oauth2/logout",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash",
                             "sid", "email", "email_verified", "bastion"],
        "acr_values_supported": list(ACR_VALUES),
        "prompt_values_supported": ["none", "login", "consent"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
    }


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={**CORS, **(headers or {})})


@router.get("/.well-known/openid-configuration")
def discovery(request: Request) -> Response:
    return _json(discovery_document(provider_for(request.app.state.services)),
                 headers={"Cache-Control": "public, max-age=300"})


@router.get("/oauth2/jwks")
def jwks(request: Request) -> Response:
    # Short caching: a rotated key must reach apps well before the old one is unpublished.
    return _json(provider_for(request.app.state.services).keys.jwks(), headers={"Cache-Control": "public, max-age=60"})


def preflight() -> Response:
    """CORS preflight for the endpoints browsers' apps call."""
    return Response(status_code=204, headers=CORS)


for _path in CORS_PATHS:
    router.add_api_route(_path, preflight, methods=["OPTIONS"])


async def _form_request(request: Request) -> ProviderRequest:
    services = request.app.state.services
    form = await request.form()  # bounded by the edge (bastion/web/body_limit.py)
    params = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    return ProviderRequest(request.method, request.url.path, request.headers, params, client_from(request),
                           services.settings.public_url)


def _with_cors(response: Response) -> Response:
    response.headers.update(CORS)
    return response


async def _answer(request: Request, call: str, cors: bool = True) -> Response:
    """authlib's token endpoint, or one of its other endpoints by name, on a worker thread."""
    provider = provider_for(request.app.state.services)
    oauth_request = await _form_request(request)
    if call == "token":
        answer = await anyio.to_thread.run_sync(provider.create_token_response, oauth_request)
    else:
        answer = await anyio.to_thread.run_sync(provider.create_endpoint_response, call, oauth_request)
    response = http_answer(answer)
    return _with_cors(response) if cors else response


@router.post("/oauth2/token")
async def token(request: Request) -> Response:
    return await _answer(request, "token")


@router.post("/oauth2/revoke")
async def revoke(request: Request) -> Response:
    return await _answer(request, "revocation")


@router.post("/oauth2/introspect")
async def introspect(request: Request) -> Response:
    return await _answer(request, "introspection", cors=False)


class _AccessTokens(BearerTokenValidator):  # type: ignore[misc]
    def __init__(self, provider: Provider, known: TokenInfo | None) -> None:
        super().__init__()
        self.provider = provider
        self.known = known  # the presented token, already found live in memory

    def authenticate_token(self, token_string: str) -> TokenRef | None:
        info = self.known or live_access_token(self.provider.services, token_string)
        return TokenRef(info) if info is not None else None


def _userinfo(provider: Provider, oauth_request: ProviderRequest, known: TokenInfo | None) -> Response:
    protector = ResourceProtector()
    protector.register_token_validator(_AccessTokens(provider, known))
    try:
        token = protector.validate_request(["openid"], oauth_request)
    except OAuth2Error as error:
        return http_answer(provider.handle_error_response(oauth_request, error))
    info = token.info  # live: the account is active (bastion.oidc.access)
    person = Person(info.grant.account_id, info.email, info.email_verified, "active")
    return _json(dict(user_claims(person, info.scope, info, provider.services.clock.now())))


def _bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@router.api_route("/oauth2/userinfo", methods=["GET", "POST"])
async def userinfo(request: Request) -> Response:
    """OIDC Core §5.3 with a Bearer access token (RFC 6750), its errors in WWW-Authenticate. A token
    this node may trust from memory is answered here, on the event loop; otherwise on a worker thread,
    which reads it (and keeps it)."""
    services = request.app.state.services
    provider = provider_for(services)
    oauth_request = ProviderRequest(request.method, request.url.path, request.headers, [], client_from(request),
                                    provider.issuer)
    known = access_from_memory(services, _bearer(request))
    if known is not None:
        return _with_cors(_userinfo(provider, oauth_request, known))
    return _with_cors(await anyio.to_thread.run_sync(_userinfo, provider, oauth_request, None))
