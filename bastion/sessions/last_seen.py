"""`last_seen_at` written behind the requests: one batched UPDATE a second, never in a request's path.

Validation notes that a session was used (`note`) at most every BASTION_SESSION_TOUCH_SECONDS;
a background thread writes what was noted once a second, all sessions in one transaction.
What is noted but not yet written still counts on this node (`pending`), so the idle rule
holds exactly here; other nodes may see a use up to a touch interval and a second late,
which can only end an idle session early, never late. Writes that fail are retried.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import bindparam, update

from bastion.services import Services
from bastion.sessions.models import Session
from bastion.store import Database

log = logging.getLogger("bastion.sessions")

FLUSH_EVERY = 1.0  # seconds
_SESSIONS = Session.__table__
_TOUCH = (update(_SESSIONS).where(_SESSIONS.c.id == bindparam("session_id"))
          .values(last_seen_at=bindparam("seen_at")))


def last_seen_writer(services: Services) -> LastSeenWriter:
    """The process's writer, started with the first session it hears of and closed with the services."""
    return services.part(_new_writer)


def _new_writer(services: Services) -> LastSeenWriter:
    return LastSeenWriter(services.db)


class LastSeenWriter:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def note(self, session_id: str, seen_at: datetime) -> None:
        with self._lock:
            self._keep_latest(session_id, seen_at)
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(target=self._run, name="bastion-last-seen", daemon=True)
                self._thread.start()

    def pending(self, session_id: str) -> datetime | None:
        """A use noted here and not yet written."""
        return self._pending.get(session_id)

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return
        try:
            with self._db.transaction() as tx:
                tx.connection().execute(_TOUCH, [{"session_id": session_id, "seen_at": seen_at}
                                                 for session_id, seen_at in batch.items()])
        except Exception as error:
            log.warning("could not write last_seen_at; retrying", extra={"sessions": len(batch), "error": str(error)})
            with self._lock:
                for session_id, seen_at in batch.items():
                    self._keep_latest(session_id, seen_at)

    def _keep_latest(self, session_id: str, seen_at: datetime) -> None:
        current = self._pending.get(session_id)
        if current is None or seen_at > current:
            self._pending[session_id] = seen_at

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_EVERY):
            self.flush()
