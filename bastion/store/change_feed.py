"""Telling every process that cached sessions changed, through the database, when there is no Redis.

On the embedded default (a SQLite file, no Redis) every process used to read each cached session
in use again a few times a second (`SessionCache.refresh_due`): with a thousand sessions in use,
a sixth of a core, and a pause in some request's answer at each batch. Instead, a transaction
that changes cached sessions (`sessions_changed`) also writes one row of `cache_changes`, and
each process reads the rows it has not seen `POLL_EVERY` seconds: one small statement. SQLite
runs one writer at a time (every write transaction begins IMMEDIATE), so ids follow commit
order and a poll that saw id N has seen every change committed before it. `covers()` then
answers as Redis's subscription does: an entry read after the feed started is trusted while
the last poll is recent, and a change reaches every process within a poll (requirements §27's
1 s). Only on SQLite: PostgreSQL commits in parallel, so ids there need not follow commit order
(a PostgreSQL deployment uses Redis, or reads its cached sessions again as before).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session as Tx

from bastion.store.changes import rows_changed
from bastion.store.db import Database
from bastion.store.invalidation import EVERYTHING, LIVENESS, pending_changes
from bastion.store.models import CacheChange

log = logging.getLogger("bastion.sessions")

POLL_EVERY = 0.2
KEPT = 10_000  # rows kept by `prune`: a process that fell further behind forgets everything it cached
_CHANGES = CacheChange.__table__
_LONGEST = 2000  # characters of groups in a row; a change to more than that is a change to everything


class DatabaseChangeFeed:
    def __init__(self, db: Database, on_change: Callable[[set[str]], None]) -> None:
        self._db = db
        self._on_change = on_change
        self._seen: int | None = None  # the last change read; None until the first poll
        self._started_at: float | None = None
        self._heard_at = 0.0  # when the last successful poll began
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def start(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._follow, name="bastion-session-invalidation",
                                                daemon=True)
                self._thread.start()

    def record(self, tx: Tx) -> None:
        """Before `tx` commits: its changes, as a row committed with them."""
        changes = pending_changes(tx)
        if changes:
            groups = " ".join(sorted(changes))
            tx.execute(insert(_CHANGES).values(groups=groups if len(groups) <= _LONGEST else EVERYTHING))

    def publish(self, changes: set[str]) -> None:
        """Nothing to do after commit: the row went with the transaction."""

    def covers(self, loaded_at: float, now: float) -> bool:
        """True when every change committed since `loaded_at` has been read here by now."""
        since = self._started_at
        return since is not None and since <= loaded_at and now - self._heard_at < LIVENESS

    def status(self) -> dict[str, object]:
        since = self._started_at
        return {"subscribed": since is not None, "feed": "database",
                "heard_seconds_ago": round(time.monotonic() - self._heard_at, 3) if since is not None else None}

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def poll(self) -> None:
        """Read the changes committed since the last poll and drop what they concern."""
        began = time.monotonic()
        rows: list[tuple[int, str]] = []
        with self._db.reading() as reader:
            if self._seen is None:
                self._seen = reader.execute(select(func.coalesce(func.max(_CHANGES.c.id), 0))).scalar_one()
            else:
                rows = [(row[0], row[1]) for row in reader.execute(
                    select(_CHANGES.c.id, _CHANGES.c.groups).where(_CHANGES.c.id > self._seen).order_by(_CHANGES.c.id))]
        if self._started_at is None:
            # Covered from now on: an entry read after this moment read a database that had every
            # change up to `_seen` (the snapshot above is older), and the polls bring the later ones.
            # Entries read before are trusted for the TTL only and read again behind the requests.
            self._started_at = time.monotonic()
        elif rows and rows[0][0] != self._seen + 1:
            self._on_change({EVERYTHING})  # rows pruned before they were read here
        if rows:
            self._seen = rows[-1][0]
            self._on_change({group for _, groups in rows for group in groups.split()})
        self._heard_at = began

    def _follow(self) -> None:
        failing = False
        while not self._stop.wait(POLL_EVERY):
            try:
                self.poll()
            except Exception as error:  # the cache falls back to trusting entries for the TTL only
                if not failing:
                    log.warning("session invalidation: could not read the database's change feed",
                                extra={"error": str(error)})
                failing = True
            else:
                failing = False


def prune(db: Database, kept: int = KEPT) -> int:
    """Delete all but the newest `kept` changes (a periodic job); how many went."""
    with db.transaction() as tx:
        newest = tx.execute(select(func.max(_CHANGES.c.id))).scalar_one_or_none()
        if newest is None:
            return 0
        return rows_changed(tx, delete(_CHANGES).where(_CHANGES.c.id <= newest - kept))
