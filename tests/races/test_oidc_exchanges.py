"""The provider's one-time things under concurrency: 20 exchanges of one authorization code, and 20
rotations of one refresh token, at once, each thread with its own connection: exactly one gets a
set of tokens. The others are second uses, so the family they belong to is revoked (RFC 6749
§4.1.2, RFC 9700 §4.14.2) and the reuse recorded once. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from bastion.audit.models import SecurityEvent
from bastion.context import Client
from bastion.oidc.models import OidcGrant, OidcToken
from bastion.oidc.protocol import ProviderRequest
from bastion.oidc.server import provider_for
from bastion.services import Services
from tests.oidc.conftest import Browser, RelyingParty, callback_of, params_of, through
from tests.races.racing import race

RACERS = 20


def _token_call(services: Services, rp: RelyingParty, form: dict[str, str]) -> Callable[[Any], str]:
    basic = base64.b64encode(f"{rp.client_id}:{rp.secret}".encode()).decode()

    def call(_: Any) -> str:
        request = ProviderRequest("POST", "/oauth2/token", {"Authorization": f"Basic {basic}"}, list(form.items()),
                                  Client(ip="192.0.2.7"), services.settings.public_url)
        answer = provider_for(services).create_token_response(request)
        return "ok" if answer.status == 200 else str(answer.body["error"])

    return call


def _count(services: Services, statement: Any) -> int:
    with services.db.transaction() as tx:
        return int(tx.execute(statement).scalar_one())


def test_one_code_exchanged_by_twenty_at_once_gives_one_set_of_tokens(
        services: Services, register: Callable[..., RelyingParty], signed_in_flow: Browser) -> None:
    rp = register()
    start = rp.start()
    code = params_of(callback_of(through(signed_in_flow, rp, start)))["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri,
            "code_verifier": start.verifier}
    outcomes = race(_token_call(services, rp, form), range(RACERS))
    assert outcomes == {"ok": 1, "invalid_grant": RACERS - 1}, outcomes
    assert _count(services, select(func.count()).select_from(OidcToken)) == 2  # one access, one refresh token
    assert _count(services, select(func.count()).where(OidcGrant.revoke_reason == "code_reused")) == 1
    assert _count(services, select(func.count()).where(SecurityEvent.kind == "oidc.code_reused")) == 1


def test_one_refresh_token_rotated_by_twenty_at_once_gives_one_set_of_tokens(
        services: Services, register: Callable[..., RelyingParty], signed_in_flow: Browser) -> None:
    rp = register()
    start = rp.start()
    token = rp.finish(start, callback_of(through(signed_in_flow, rp, start)))
    form = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    outcomes = race(_token_call(services, rp, form), range(RACERS))
    assert outcomes == {"ok": 1, "invalid_grant": RACERS - 1}, outcomes
    assert _count(services, select(func.count()).select_from(OidcToken)) == 4  # the first pair and one successor
    assert _count(services, select(func.count()).where(SecurityEvent.kind == "oidc.refresh_reused")) == 1
