"""Session validation (requirements §25-27): the live session behind a token, or why not.

Validation is answered from the process's cache (`bastion.sessions.cache`) in the steady
state: no database round trip. The database is read when the session is not cached (or no
longer trusted) and when this node believes it idle-expired (another node may have seen it
since); `last_seen_at` is written behind the requests at most every
BASTION_SESSION_TOUCH_SECONDS (bastion.sessions.last_seen).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any

import anyio.to_thread
from sqlalchemy import bindparam, select

from bastion.accounts.models import Account
from bastion.crypto import hash_token
from bastion.errors import BastionError, Reason
from bastion.ops.maintenance import refresh_windows, windows_cached
from bastion.services import Services
from bastion.sessions.cache import SessionCache
from bastion.sessions.holds import Restriction, restrictions_of
from bastion.sessions.maintenance import refuse_during_blocking_maintenance
from bastion.sessions.models import Session
from bastion.sessions.tokens import SHAPE, SessionInfo, issued_here


@dataclass(slots=True)
class _Known:
    """What this node knows of a live session: the row as read, and the latest use it has seen."""

    session: SessionInfo
    idle: timedelta
    noted_last_seen: datetime  # written to the database, or queued to be (bastion.sessions.last_seen)
    last_seen: datetime
    holds: tuple[Restriction, ...]
    roles_text: str  # as stored, to tell whether it changed

    def view(self, now: datetime) -> SessionInfo:
        s = self.session
        return SessionInfo(s.id, s.account_id, s.email, s.roles, s.created_at, s.authenticated_at, self.last_seen,
                           s.expires_at, min(s.expires_at, self.last_seen + self.idle), s.aal, s.remember,
                           tuple(hold for hold in self.holds if hold.until > now) if self.holds else ())


def authenticate_session(services: Services, token: str) -> SessionInfo:
    """The live session behind a token, or `session.invalid` / `.expired` / `.revoked`."""
    token_hash = _token_hash(token)
    known, now = _cached(services, token_hash)
    if known is None:
        _refuse_unless_issued_here(services, token)
        return _from_database(services, token_hash)
    return _admit(services, known, now)


async def authenticate_session_async(services: Services, token: str) -> SessionInfo:
    """The same answer; the event loop hands over to a thread only when the database must be asked."""
    token_hash = _token_hash(token)
    if not windows_cached(services):
        await refresh_windows(services)  # about once a second
    known, now = _cached(services, token_hash)
    if known is None:
        _refuse_unless_issued_here(services, token)
        return await anyio.to_thread.run_sync(_from_database, services, token_hash)
    return _admit(services, known, now, on_event_loop=True)


def _token_hash(token: str) -> str:
    if not SHAPE.match(token):
        raise BastionError(Reason.SESSION_INVALID)
    return hash_token(token)


def _refuse_unless_issued_here(services: Services, token: str) -> None:
    """Before the database is asked (a cached session was issued here: its MAC was checked then)."""
    if not issued_here(services.keys, token):
        raise BastionError(Reason.SESSION_INVALID)


def _cached(services: Services, token_hash: str) -> tuple[_Known | None, datetime]:
    """The session as this node knows it, or None when the database must be read."""
    now = services.clock.now()
    known: _Known | None = services.session_cache.get(token_hash)
    if known is None:
        return None, now
    if now >= known.session.expires_at:
        raise BastionError(Reason.SESSION_EXPIRED)  # the absolute limit never moves
    if now >= known.last_seen + known.idle:
        return None, now  # idle here, but another node may have seen it since
    return known, now


def _admit(services: Services, known: _Known, now: datetime, on_event_loop: bool = False) -> SessionInfo:
    """The session as it stands now (maintenance permitting), its use noted."""
    refuse_during_blocking_maintenance(services, known.session.roles, now, allow_stale=on_event_loop)
    if now > known.last_seen:
        known.last_seen = now
    if now - known.noted_last_seen >= _seconds(services.settings.session_touch_seconds):
        known.noted_last_seen = now
        services.session_cache.last_seen.note(known.session.id, now)
    return known.view(now)


@lru_cache(maxsize=16)
def _seconds(seconds: int) -> timedelta:
    return timedelta(seconds=seconds)


def _from_database(services: Services, token_hash: str) -> SessionInfo:
    known = _load(services, [token_hash])[token_hash]
    if isinstance(known, BastionError):
        raise known
    services.session_cache.mark_used(token_hash)
    return _admit(services, known, services.clock.now())


def refresh_sessions(services: Services, token_hashes: list[str]) -> None:
    """Check cached sessions against the database again, in batches (the cache's refresher, behind
    the requests): those unchanged are trusted anew as they are, the others read again in full."""
    for start in range(0, len(token_hashes), _BATCH):
        changed = _confirm_unchanged(services, token_hashes[start:start + _BATCH])
        if changed:
            _load(services, changed)


_BATCH = 500
_SESSIONS, _ACCOUNTS = Session.__table__, Account.__table__
_BY_TOKEN_HASH = _SESSIONS.c.token_hash.in_(bindparam("token_hashes", expanding=True))
_READ = (select(_SESSIONS.c.token_hash, _SESSIONS.c.id, _SESSIONS.c.account_id, _SESSIONS.c.created_at,
                _SESSIONS.c.authenticated_at, _SESSIONS.c.last_seen_at, _SESSIONS.c.idle_seconds,
                _SESSIONS.c.expires_at, _SESSIONS.c.revoked_at, _SESSIONS.c.aal, _SESSIONS.c.remember,
                _ACCOUNTS.c.email, _ACCOUNTS.c.roles)
         .join_from(_SESSIONS, _ACCOUNTS, _ACCOUNTS.c.id == _SESSIONS.c.account_id).where(_BY_TOKEN_HASH))
# What can change in a live session another node may have touched (its last use is this node's own
# business until it believes it idle, and then it asks the database anyway).
_CHANGEABLE = (select(_SESSIONS.c.token_hash, _SESSIONS.c.revoked_at.is_not(None), _SESSIONS.c.authenticated_at,
                      _SESSIONS.c.aal, _ACCOUNTS.c.email, _ACCOUNTS.c.roles)
               .join_from(_SESSIONS, _ACCOUNTS, _ACCOUNTS.c.id == _SESSIONS.c.account_id).where(_BY_TOKEN_HASH))


def _confirm_unchanged(services: Services, token_hashes: list[str]) -> list[str]:
    """Trust anew the cached sessions the database still has as they are; the others, returned, need a full read."""
    cache = services.session_cache
    generation, loaded_at = cache.generation, time.monotonic()
    now = services.clock.now()
    cached: dict[str, _Known] = {}
    for token_hash in token_hashes:
        known = cache.peek(token_hash)
        if known is not None:
            cached[token_hash] = known
    if not cached:
        return token_hashes
    with services.db.reading() as reader:
        rows = {row[0]: tuple(row[1:]) for row in reader.execute(_CHANGEABLE, {"token_hashes": list(cached)})}
        holds = restrictions_of(reader, {known.session.account_id for known in cached.values()}, now)
    unchanged = []
    for token_hash, known in cached.items():
        session = known.session
        if rows.get(token_hash) == (False, session.authenticated_at, session.aal, session.email, known.roles_text) \
                and tuple(holds.get(session.account_id, ())) == tuple(h for h in known.holds if h.until > now):
            unchanged.append((token_hash, known, (session.account_id, session.id)))
    cache.put_many(unchanged, generation, loaded_at, kind="session")
    kept = {token_hash for token_hash, _, _ in unchanged}
    return [token_hash for token_hash in token_hashes if token_hash not in kept]


def _load(services: Services, token_hashes: list[str]) -> dict[str, _Known | BastionError]:
    """Each session as the database has it, kept in the cache — or the refusal it meets.
    Two statements however many sessions, in a read-only transaction. Rows are unpacked, never
    read by attribute name: that costs more than the rest of a row's work (~2 µs a field)."""
    cache = services.session_cache
    generation, loaded_at = cache.generation, time.monotonic()
    now = services.clock.now()
    with services.db.reading() as reader:
        rows = {row[0]: tuple(row) for row in reader.execute(_READ, {"token_hashes": token_hashes})}
        accounts = {row[2] for row in rows.values() if row[8] is None}
        holds = restrictions_of(reader, accounts, now) if accounts else {}
    found: dict[str, _Known | BastionError] = {}
    live = []
    for token_hash in token_hashes:
        row = rows.get(token_hash)
        known = _known(cache, row, holds, now) if row is not None else BastionError(Reason.SESSION_INVALID)
        found[token_hash] = known
        if isinstance(known, BastionError):
            cache.forget(token_hash)
        else:
            live.append((token_hash, known, (known.session.account_id, known.session.id)))
    cache.put_many(live, generation, loaded_at, kind="session", refresh=partial(refresh_sessions, services))
    return found


def _known(cache: SessionCache, row: tuple[Any, ...], holds: dict[str, list[Restriction]],
           now: datetime) -> _Known | BastionError:
    (token_hash, session_id, account_id, created_at, authenticated_at, last_seen_at, idle_seconds, expires_at,
     revoked_at, aal, remember, email, roles) = row
    if revoked_at is not None:
        return BastionError(Reason.SESSION_REVOKED)
    # The latest use known here: written, noted but not yet written, or seen by a cached entry.
    noted = max(last_seen_at, cache.last_seen.pending(session_id) or last_seen_at)
    seen_here: _Known | None = cache.peek(token_hash)
    last_seen = max(noted, seen_here.last_seen) if seen_here is not None else noted
    idle = timedelta(seconds=idle_seconds)
    if now >= min(expires_at, last_seen + idle):
        return BastionError(Reason.SESSION_EXPIRED)
    info = SessionInfo(session_id, account_id, email, frozenset(role for role in roles.split(",") if role),
                       created_at, authenticated_at, noted, expires_at, expires_at, aal, remember)
    return _Known(info, idle, noted, last_seen, tuple(holds.get(account_id, ())), roles)
