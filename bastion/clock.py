"""The injectable clock: every time-dependent rule reads `Clock.now()`.

Features never call `datetime.now()`; tests pass a `MovableClock` and move it
instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MovableClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment


def rfc3339(moment: datetime | None) -> str | None:
    """Times on the wire: RFC 3339 UTC with a Z, to the second."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def seconds_until(until: datetime, now: datetime) -> int:
    """Whole seconds to wait (at least one): what `Retry-After` says."""
    return max(1, int((until - now).total_seconds() + 0.999))
# Times a client sends are taken within these bounds: beyond them, arithmetic on them (a zone's offset,
# a waiting period added) overflows Python's datetime.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def client_moment(moment: datetime) -> datetime:
    """A time from a client, in UTC (no zone: read as UTC); ValueError when outside EARLIEST..LATEST."""
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None
    if not EARLIEST <= moment < LATEST:
        raise ValueError("the time is out of range")
    return moment
