"""Session validation (requirements §25-27): the live session behind a token, or why not.

Validation is answered from the process's cache (`bastion.store.cache`) in the steady
state: no database round trip. The database is read when the session is not cached (or no
longer trusted) and when this node believes it idle-expired (another node may have seen it
since); `last_seen_at` is written behind the requests at most every
BASTION_SESSION_TOUCH_SECONDS (bastion.sessions.last_seen).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache, partial
from typing import Any, Protocol

import anyio.to_thread
from sqlalchemy import ColumnElement, FromClause, Select, bindparam, select

from bastion.crypto import hash_token
from bastion.errors import BastionError, Reason
from bastion.ops.maintenance import refresh_windows, windows_cached
from bastion.plugs import Plug
from bastion.services import Services
from bastion.sessions.holds import Restriction, restrictions_of
from bastion.sessions.last_seen import LastSeenWriter, last_seen_writer
from bastion.sessions.maintenance import refuse_during_blocking_maintenance
from bastion.sessions.models import Session
from bastion.sessions.tokens import SHAPE, SessionInfo, issued_here
from bastion.store.cache import SessionCache


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
    if not windows_cached(services):
        await refresh_windows(services)  # about once a second
    session = session_in_memory(services, token)
    if session is None:
        return await anyio.to_thread.run_sync(_from_database, services, _token_hash(token))
    return session


def session_in_memory(services: Services, token: str) -> SessionInfo | None:
    """The same answer from what this node holds in memory, without a wait: None when the database
    must be asked (the session is not cached here). For the event loop: the maintenance windows
    are taken as last read, at most one renewal late (`refresh_windows` renews them)."""
    token_hash = _token_hash(token)
    known, now = _cached(services, token_hash)
    if known is None:
        _refuse_unless_issued_here(services, token)
        return None
    return _admit(services, known, now, on_event_loop=True)


def _token_hash(token: str) -> str:
    if not SHAPE.match(token):
        raise BastionError(Reason.SESSION_INVALID)
    return hash_token(token)


def _refuse_unless_issued_here(services: Services, token: str) -> None:
    """Before the database is asked (a cached session was issued here: its MAC was checked then)."""
    if not issued_here(services.keys, token):
        raise BastionError(Reason.SESSION_INVALID)


@dataclass(frozen=True, slots=True)
class _Refused:
    """A token the database refused for good (revoked, or never a session here): kept like a session,
    so that asking again with it costs no database read."""

    reason: Reason


_FOR_GOOD = (Reason.SESSION_REVOKED, Reason.SESSION_INVALID)  # an expiry may still move: never kept


def _cached(services: Services, token_hash: str) -> tuple[_Known | None, datetime]:
    """The session as this node knows it, or None when the database must be read."""
    now = services.clock.now()
    known: _Known | _Refused | None = services.session_cache.get(token_hash)
    if known is None:
        return None, now
    if isinstance(known, _Refused):
        raise BastionError(known.reason)
    if now >= known.session.expires_at:
        raise BastionError(Reason.SESSION_EXPIRED)  # the absolute limit never moves
    if now >= known.last_seen + known.idle:
        return None, now  # idle here, but another node may have seen it since
    return known, now


def _admit(services: Services, known: _Known, now: datetime, on_event_loop: bool = False) -> SessionInfo:
    """The session as it stands now (maintenance permitting), its use noted."""
    refuse_during_blocking_maintenance(services, known.session.roles, known.session.aal, now,
                                       allow_stale=on_event_loop)
    if now > known.last_seen:
        known.last_seen = now
    if now - known.noted_last_seen >= _seconds(services.settings.session_touch_seconds):
        known.noted_last_seen = now
        last_seen_writer(services).note(known.session.id, now)
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
class AccountColumns(Protocol):
    """What a session carries of its account (its email and roles), joined to the session in one
    statement, so that a read costs one round trip. The accounts hand over their columns."""

    @property
    def table(self) -> FromClause: ...

    @property
    def id(self) -> ColumnElement[Any]: ...

    @property
    def email(self) -> ColumnElement[Any]: ...

    @property
    def roles(self) -> ColumnElement[Any]: ...


ACCOUNTS: Plug[AccountColumns] = Plug("the account columns a session carries (bastion.accounts.repo)")
_SESSIONS = Session.__table__
_BY_TOKEN_HASH = _SESSIONS.c.token_hash.in_(bindparam("token_hashes", expanding=True))


@cache
def _statements() -> tuple[Select[Any], Select[Any]]:
    """Built once, on first use (after start-up handed over the account's columns): building a statement
    costs more than running it from SQLAlchemy's compiled cache."""
    account = ACCOUNTS()
    read = (select(_SESSIONS.c.token_hash, _SESSIONS.c.id, _SESSIONS.c.account_id, _SESSIONS.c.created_at,
                   _SESSIONS.c.authenticated_at, _SESSIONS.c.last_seen_at, _SESSIONS.c.idle_seconds,
                   _SESSIONS.c.expires_at, _SESSIONS.c.revoked_at, _SESSIONS.c.aal, _SESSIONS.c.remember,
                   account.email, account.roles)
            .join_from(_SESSIONS, account.table, account.id == _SESSIONS.c.account_id).where(_BY_TOKEN_HASH))
    # What can change in a live session another node may have touched (its last use is this node's own
    # business until it believes it idle, and then it asks the database anyway).
    changeable = (select(_SESSIONS.c.token_hash, _SESSIONS.c.revoked_at.is_not(None), _SESSIONS.c.authenticated_at,
                         _SESSIONS.c.aal, account.email, account.roles)
                  .join_from(_SESSIONS, account.table, account.id == _SESSIONS.c.account_id).where(_BY_TOKEN_HASH))
    return read, changeable


def _confirm_unchanged(services: Services, token_hashes: list[str]) -> list[str]:
    """Trust anew the cached sessions the database still has as they are; the others, returned, need a full read."""
    cache = services.session_cache
    generation, loaded_at = cache.generation, time.monotonic()
    now = services.clock.now()
    cached: dict[str, _Known] = {}
    for token_hash in token_hashes:
        known = cache.peek(token_hash)
        if isinstance(known, _Known):
            cached[token_hash] = known
    if not cached:
        return token_hashes
    with services.db.reading() as reader:
        rows = {row[0]: tuple(row[1:]) for row in reader.execute(_statements()[1], {"token_hashes": list(cached)})}
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
    cache, writer = services.session_cache, last_seen_writer(services)
    generation, loaded_at = cache.generation, time.monotonic()
    now = services.clock.now()
    with services.db.reading() as reader:
        rows = {row[0]: tuple(row) for row in reader.execute(_statements()[0], {"token_hashes": token_hashes})}
        accounts = {row[2] for row in rows.values() if row[8] is None}
        holds = restrictions_of(reader, accounts, now) if accounts else {}
    found: dict[str, _Known | BastionError] = {}
    live, refused = [], []
    for token_hash in token_hashes:
        row = rows.get(token_hash)
        known = _known(cache, writer, row, holds, now) if row is not None else BastionError(Reason.SESSION_INVALID)
        found[token_hash] = known
        if isinstance(known, _Known):
            live.append((token_hash, known, (known.session.account_id, known.session.id)))
        elif known.code in _FOR_GOOD:
            refused.append((token_hash, _Refused(known.code), ()))
        else:
            cache.forget(token_hash)
    cache.put_many(live, generation, loaded_at, kind="session", refresh=partial(refresh_sessions, services))
    cache.put_many(refused, generation, loaded_at, kind="refused")
    return found


def _known(cache: SessionCache, writer: LastSeenWriter, row: tuple[Any, ...],
           holds: dict[str, list[Restriction]], now: datetime) -> _Known | BastionError:
    (token_hash, session_id, account_id, created_at, authenticated_at, last_seen_at, idle_seconds, expires_at,
     revoked_at, aal, remember, email, roles) = row
    if revoked_at is not None:
        return BastionError(Reason.SESSION_REVOKED)
    # The latest use known here: written, noted but not yet written, or seen by a cached entry.
    noted = max(last_seen_at, writer.pending(session_id) or last_seen_at)
    seen_here = cache.peek(token_hash)
    last_seen = max(noted, seen_here.last_seen) if isinstance(seen_here, _Known) else noted
    idle = timedelta(seconds=idle_seconds)
    if now >= min(expires_at, last_seen + idle):
        return BastionError(Reason.SESSION_EXPIRED)
    info = SessionInfo(session_id, account_id, email, frozenset(role for role in roles.split(",") if role),
                       created_at, authenticated_at, noted, expires_at, expires_at, aal, remember)
    return _Known(info, idle, noted, last_seen, tuple(holds.get(account_id, ())), roles)
