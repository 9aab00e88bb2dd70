"""What a presented token is: for userinfo and introspection (access tokens, validated from memory)
and for revocation (from the database).

A live access token, read with its grant and account (email, and the holds when its scope shows
them), is kept in the process's session cache (bastion.store.cache) under its hash, in the
groups of its account, its grant and its client. It is trusted as a cached session is: for the
cache's TTL (BASTION_SESSION_CACHE_SECONDS, at most 1 s) — read again behind the requests while in
use — or, with Redis, until another node's change arrives. Everything that could end it names one
of those groups in its transaction, and the cache drops the entry at commit here and on every
other node:
- a grant's end (reuse, RFC 7009 revocation, removed access, ended sessions): the grant's id
  (bastion.oidc.grants);
- ended sessions, a freeze, suspension, password reset or email confirmation, a new hold: the
  account's id (bastion.sessions.validation, bastion.sessions.holds);
- a deleted client: the client's group (bastion.oidc.clients).
Its expiry is checked against the clock on every use.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from bastion.crypto import hash_token
from bastion.oidc.clients import client_group
from bastion.oidc.grants import ACCESS_PREFIX, REFRESH_PREFIX
from bastion.oidc.repo import grants as repo
from bastion.services import Services
from bastion.sessions.holds import Restriction, restrictions_of

CACHED = "oidc-access:"  # cache keys: this, then the token's hash
_BATCH = 500


@dataclass(frozen=True, slots=True)
class GrantView:
    """What a token's grant says about it (a snapshot: it may be kept in memory)."""

    id: str
    client_id: str
    account_id: str
    session_id: str | None
    acr: str


@dataclass(frozen=True, slots=True)
class TokenInfo:
    kind: str
    scope: str
    created_at: datetime
    expires_at: datetime
    live: bool
    grant: GrantView
    email: str = ""
    email_verified: bool = False
    holds: tuple[Restriction, ...] = ()  # read only when the scope shows them (`restrictions`)


def _well_formed(token: str, prefixes: tuple[str, ...] = (ACCESS_PREFIX, REFRESH_PREFIX)) -> bool:
    return isinstance(token, str) and token.startswith(prefixes) and len(token) <= 128


def _read(services: Services, hashes: list[str], now: datetime) -> dict[str, TokenInfo]:
    """Each token as the database has it (with its account's holds when its scope shows them): one
    read-only transaction, two statements however many tokens."""
    found: dict[str, TokenInfo] = {}
    with services.db.reading() as reader:
        for row in repo.tokens_with_holders(reader, hashes):
            (token_hash, kind, scope, created_at, expires_at, used_at, revoked_at, grant_id, client_id, account_id,
             session_id, acr, grant_revoked_at, status, email, verified_at) = row
            live = (revoked_at is None and used_at is None and grant_revoked_at is None and now < expires_at
                    and status == "active")
            found[token_hash] = TokenInfo(kind, scope, created_at, expires_at, live,
                                          GrantView(grant_id, client_id, account_id, session_id, acr),
                                          email, verified_at is not None)
        shown = {info.grant.account_id for info in found.values() if info.live and "restrictions" in info.scope.split()}
        holds = restrictions_of(reader, shown, now) if shown else {}
    return {token_hash: replace(info, holds=tuple(holds.get(info.grant.account_id, ())))
            if info.grant.account_id in holds else info for token_hash, info in found.items()}


def token_info(services: Services, token: str) -> TokenInfo | None:
    """What a token is, from the database (revocation, and refresh tokens at introspection); None
    when unknown."""
    if not _well_formed(token):
        return None
    token_hash = hash_token(token)
    return _read(services, [token_hash], services.clock.now()).get(token_hash)


def access_from_memory(services: Services, token: str) -> TokenInfo | None:
    """The live access token from this node's memory, or None when the database must be asked."""
    if not _well_formed(token, (ACCESS_PREFIX,)):
        return None
    info: TokenInfo | None = services.session_cache.get(CACHED + hash_token(token))
    if info is None or services.clock.now() >= info.expires_at:
        return None
    return info


def live_access_token(services: Services, token: str) -> TokenInfo | None:
    """The live access token behind `token` — from memory when this node may trust it, else read and
    kept — or None (unknown, expired, revoked, or its account may no longer sign in)."""
    known = access_from_memory(services, token)
    if known is not None or not _well_formed(token, (ACCESS_PREFIX,)):
        return known
    token_hash = hash_token(token)
    info = _load(services, [token_hash]).get(token_hash)
    if info is not None:
        services.session_cache.mark_used(CACHED + token_hash)
    return info


def _load(services: Services, hashes: list[str]) -> dict[str, TokenInfo]:
    """The live access tokens among `hashes`, kept in the cache; the others forgotten there."""
    cache = services.session_cache
    generation, loaded_at = cache.generation, time.monotonic()  # before the read: see SessionCache.put
    found = _read(services, hashes, services.clock.now())
    live: dict[str, TokenInfo] = {}
    for token_hash in hashes:
        info = found.get(token_hash)
        if info is not None and info.live and info.kind == "access":
            live[token_hash] = info
        else:
            cache.forget(CACHED + token_hash)
    cache.put_many([(CACHED + token_hash, info, (info.grant.account_id, info.grant.id,
                                                 client_group(info.grant.client_id)))
                    for token_hash, info in live.items()], generation, loaded_at, kind=CACHED,
                   refresh=partial(refresh_access_tokens, services))
    return live


def refresh_access_tokens(services: Services, cache_keys: list[str]) -> None:
    """Read cached access tokens in use again, in batches (the cache's refresher, behind the requests)."""
    hashes = [key.removeprefix(CACHED) for key in cache_keys]
    for start in range(0, len(hashes), _BATCH):
        _load(services, hashes[start:start + _BATCH])
