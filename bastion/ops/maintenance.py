"""Maintenance windows (requirements §31): during one, sign-in and sign-up answer 503
`service.maintenance` with `Retry-After` until its end; staff may still sign in;
signed-in sessions keep working unless the window blocks them too."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Protocol

import anyio.to_thread
from sqlalchemy import Connection
from sqlalchemy.orm import Session as Tx

from bastion.audit import record_event
from bastion.clock import rfc3339, seconds_until
from bastion.errors import BastionError, Reason
from bastion.i18n import _
from bastion.ops.maintenance_store import SqlWindowStore
from bastion.ops.maintenance_window import DEFAULT_MESSAGE as DEFAULT_MESSAGE  # re-exported: callers start windows here
from bastion.ops.maintenance_window import Window
from bastion.services import Services

_CACHE_SECONDS = 1.0


class WindowStore(Protocol):
    """Where the windows are kept (implemented once, with SQLAlchemy: `maintenance_store.py`)."""

    def add(self, tx: Tx, starts_at: datetime, ends_at: datetime, message: str, block_sessions: bool,
            now: datetime, actor_id: str | None) -> Window: ...

    def end_current(self, tx: Tx, now: datetime) -> int:
        """End every window in progress at `now`; how many."""

    def remove(self, tx: Tx, window_id: str) -> bool: ...

    def not_ended(self, reader: Tx | Connection, now: datetime) -> list[Window]:
        """The window in progress and those to come, soonest first."""


WINDOWS: WindowStore = SqlWindowStore()


def schedule_window(services: Services, starts_at: datetime, ends_at: datetime, message: str = DEFAULT_MESSAGE,
                    block_sessions: bool = False, actor_id: str | None = None) -> Window:
    now = services.clock.now()
    if ends_at <= starts_at:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("A maintenance window must end after it starts."))
    if ends_at <= now:
        raise BastionError(Reason.REQUEST_INVALID, detail=_("That maintenance window would already be over."))
    with services.db.transaction() as tx:
        window = WINDOWS.add(tx, max(starts_at, now), ends_at, message or DEFAULT_MESSAGE, block_sessions, now,
                             actor_id)
        record_event(tx, now, "maintenance.scheduled", None, actor_id=actor_id, window_id=window.id,
                     starts_at=rfc3339(window.starts_at), ends_at=rfc3339(window.ends_at))
    _forget_cache(services)
    return window


def start_maintenance(services: Services, duration: timedelta, message: str = DEFAULT_MESSAGE,
                      block_sessions: bool = False, actor_id: str | None = None) -> Window:
    now = services.clock.now()
    return schedule_window(services, now, now + duration, message, block_sessions, actor_id)


def stop_maintenance(services: Services, actor_id: str | None = None) -> int:
    """End every window in progress now; returns how many were ended."""
    now = services.clock.now()
    with services.db.transaction() as tx:
        ended = WINDOWS.end_current(tx, now)
        record_event(tx, now, "maintenance.stopped", None, actor_id=actor_id, windows=ended)
    _forget_cache(services)
    return ended


def cancel_window(services: Services, window_id: str) -> bool:
    with services.db.transaction() as tx:
        deleted = WINDOWS.remove(tx, window_id)
    _forget_cache(services)
    return deleted


def upcoming_windows(services: Services, allow_stale: bool = False) -> list[Window]:
    """The window in progress (if any) and those to come, soonest first.

    Every sign-in and session check asks, so the list is cached for a second per
    process (and dropped at once when this process changes it); other nodes see a
    change within that second. `allow_stale`: answer from an expired list rather than
    read the database (the event loop's callers; `refresh_windows` renews it).
    """
    now = services.clock.now()
    cached = getattr(services, "_maintenance_cache", None)
    if cached is None or (not allow_stale and not _fresh(cached, now)):
        # A read-only unit of work: on SQLite it never queues behind the one writer's lock, so the
        # session checks that ask for the windows never wait for a long write.
        with services.db.reading() as reader:
            cached = (time.monotonic(), now, WINDOWS.not_ended(reader, now))
        services._maintenance_cache = cached  # type: ignore[attr-defined]
    return [window for window in cached[2] if window.ends_at > now]


def _fresh(cached: tuple[float, datetime, list[Window]], now: datetime) -> bool:
    return time.monotonic() - cached[0] <= _CACHE_SECONDS and cached[1] <= now


def windows_cached(services: Services) -> bool:
    """Whether `upcoming_windows` would answer from memory, without the database."""
    cached = getattr(services, "_maintenance_cache", None)
    return cached is not None and _fresh(cached, services.clock.now())


async def refresh_windows(services: Services) -> None:
    """On the event loop: renew an expired list in a thread, one renewal at a time; meanwhile
    the other requests use the expired list (`allow_stale`), at most one renewal late."""
    if windows_cached(services):
        return
    first = getattr(services, "_maintenance_cache", None) is None
    lock: threading.Lock = services.__dict__.setdefault("_maintenance_renewal", threading.Lock())
    if lock.acquire(blocking=False):
        try:
            await anyio.to_thread.run_sync(upcoming_windows, services)
        finally:
            lock.release()
    elif first:
        await anyio.to_thread.run_sync(upcoming_windows, services)


def _forget_cache(services: Services) -> None:
    services._maintenance_cache = None  # type: ignore[attr-defined]


def current_window(services: Services, allow_stale: bool = False) -> Window | None:
    cached = getattr(services, "_maintenance_cache", None)
    if allow_stale and cached is not None and not cached[2]:
        return None  # nothing scheduled: what every session check finds, answered at once
    now = services.clock.now()
    return next((window for window in upcoming_windows(services, allow_stale) if window.starts_at <= now), None)


def maintenance_refusal(window: Window, now: datetime) -> BastionError:
    return BastionError(Reason.SERVICE_MAINTENANCE, detail=window.shown_message,
                        retry_after=seconds_until(window.ends_at, now),
                        extra={"maintenance": {"starts_at": rfc3339(window.starts_at),
                                               "ends_at": rfc3339(window.ends_at)}})


def check_maintenance(services: Services) -> None:
    """Refuse sign-in and sign-up during a window (the caller lets staff through)."""
    window = current_window(services)
    if window is not None:
        raise maintenance_refusal(window, services.clock.now())
