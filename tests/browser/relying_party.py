"""A small relying party on the loopback interface, as a platform's app would be: it sends the
browser to Bastion, takes the code back at /cb, exchanges it with authlib's OAuth2Session and
checks the ID token against Bastion's JWKS, then says who is signed in."""

from __future__ import annotations

import html
import os
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bastion.oidc.clients import NewClient, create_client
from tests.browser.site import Site
from tests.notify import free_port


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
                        f"<body><main><h1>{title}</h1>{body}</main></body></html>")


class LoopbackApp:
    def __init__(self, site: Site, name: str, first_party: bool, scope: str = "openid email") -> None:
        self.site = site
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        row, secret = create_client(site.services, NewClient(name=name, redirect_uris=(f"{self.base}/cb",),
                                                             first_party=first_party))
        self.client_id, self.secret, self.scope = row.id, secret, scope
        self.pending: dict[str, tuple[str, str]] = {}
        self.signed_in: dict[str, Any] = {}

    def _session(self) -> OAuth2Session:
        return OAuth2Session(self.client_id, self.secret, scope=self.scope, redirect_uri=f"{self.base}/cb",
                             code_challenge_method="S256")

    async def start(self, request: Request) -> Response:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        extra = dict(request.query_params)
        url, state = self._session().create_authorization_url(f"{self.site.base_url}/oauth2/authorize", nonce=nonce,
                                                              code_verifier=verifier, **extra)
        self.pending[state] = (verifier, nonce)
        return RedirectResponse(url, status_code=302)

    async def callback(self, request: Request) -> Response:
        state = request.query_params.get("state", "")
        if "error" in request.query_params or state not in self.pending:
            return _page("Not signed in", f"<p>{html.escape(request.query_params.get('error', 'unknown state'))}</p>")
        verifier, nonce = self.pending.pop(state)
        session = self._session()
        token = session.fetch_token(f"{self.site.base_url}/oauth2/token", authorization_response=str(request.url),
                                    code_verifier=verifier, state=state)
        keys = KeySet.import_key_set(session.get(f"{self.site.base_url}/oauth2/jwks", withhold_token=True).json())
        decoded = jwt.decode(token["id_token"], keys)
        claims = CodeIDToken(decoded.claims, decoded.header, {"iss": {"values": [self.site.base_url]}},
                             {"nonce": nonce, "client_id": self.client_id, "access_token": token["access_token"]})
        claims.validate(now=int(self.site.clock.now().timestamp()), leeway=120)
        self.signed_in = dict(claims)
        return _page("Signed in to the app", f"<p>Signed in as {html.escape(str(claims.get('email')))}</p>"
                     f"<p>acr {claims['acr']} · amr {' '.join(claims['amr'])}</p>")

    @contextmanager
    def serving(self) -> Iterator[LoopbackApp]:
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # the loopback test site is plain http
        app = Starlette(routes=[Route("/start", self.start), Route("/cb", self.callback)])
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                               lifespan="off"))
        thread = threading.Thread(target=server.run, name="uvicorn-rp", daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline, "the relying party did not start"
            time.sleep(0.02)
        try:
            yield self
        finally:
            server.should_exit = True
            thread.join(10)
