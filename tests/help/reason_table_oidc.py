"""The table, continued: signing in to the platform's apps (the OpenID provider's pages)."""

from __future__ import annotations

from typing import Any

from bastion.oidc.clients import NewClient, create_client
from tests.help.conftest import Lab
from tests.help.reason_table import row


@row("oauth.invalid_request", "the request names an app and an address, no account")
def _(lab: Lab, email: str) -> Any:
    app, _ = create_client(lab.services, NewClient(name="Trading", redirect_uris=("https://trade.example/cb",)))
    return lab.client.get("/oauth2/authorize", params={"response_type": "code", "client_id": app.id,
                                                      "redirect_uri": "https://evil.example/cb", "scope": "openid"},
                          follow_redirects=False)


@row("oauth.request_expired", "the request names a waiting authorization, no account")
def _(lab: Lab, email: str) -> Any:
    return lab.client.get("/oauth2/authorize/resume/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", follow_redirects=False)
