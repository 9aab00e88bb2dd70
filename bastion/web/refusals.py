"""Recording refusals so support can look their references up — at a bounded cost per second.

A refusal to a request no account is behind (a made-up session token, a bad form, an unknown
path) is recorded once per (reason, route, address) a second; the same refusals in that second
are given the same reference. Past FRESH_PER_SECOND such rows in a second (many addresses at
once: a spread-out flood), refusals share one reference per (reason, route). A flood of junk
tokens then costs about one database write a second instead of one a request (issue 18,
finding 5), and every reference given is found by support's look-up. Refusals to a signed-in
account are each recorded, as they are few and each tells that person's story.

Per process, in memory: a new second starts afresh, so the map never grows past a second's keys.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from functools import cached_property
from typing import Any

import anyio
import anyio.to_thread

from bastion.errors import BastionError, new_reference
from bastion.help import refusals
from bastion.services import Services

log = logging.getLogger("bastion.web")

FRESH_PER_SECOND = 20  # refusals a second recorded each with their own address
RECORDING_THREADS = 2


class RefusalRecorder:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._lock = threading.Lock()  # refusals are answered on the event loop and in worker threads
        self._second: datetime | None = None
        self._given: dict[tuple[str, ...], str] = {}
        self._fresh = 0
        self._recording = anyio.CapacityLimiter(RECORDING_THREADS)

    @cached_property
    def trusted_proxies(self) -> Any:
        """Parsed once, on the first refusal, not per refusal."""
        return self.services.settings.trusted_proxy_networks

    def reference(self, error: BastionError, method: str, route: str, path: str, ip: str | None,
                  account_id: str | None) -> str:
        """The refusal's reference: recorded now, or one recorded this second for the same refusal."""
        reference, to_record = self._reference(error, method, route, ip, account_id)
        return self.record(reference, error, method, path, ip, account_id) if to_record else reference

    async def reference_off_loop(self, error: BastionError, method: str, route: str, path: str, ip: str | None,
                                 account_id: str | None) -> str:
        """The same, for the event loop: a record to write is written on a worker thread, so a
        refusal never holds every other request while the database is busy."""
        reference, to_record = self._reference(error, method, route, ip, account_id)
        if not to_record:
            return reference
        return await self.record_off_loop(reference, error, method, path, ip, account_id)

    async def record_off_loop(self, reference: str, error: BastionError, method: str, path: str, ip: str | None,
                              account_id: str | None) -> str:
        """`record` on a worker thread, RECORDING_THREADS at a time: while a long write holds the
        database, waiting records hold that many pooled connections, never the pool."""
        return await anyio.to_thread.run_sync(self.record, reference, error, method, path, ip, account_id,
                                              limiter=self._recording)

    def _reference(self, error: BastionError, method: str, route: str, ip: str | None,
                   account_id: str | None) -> tuple[str, bool]:
        """The reference, and whether it is new (to be recorded)."""
        if account_id is not None:
            return new_reference(), True
        now = self.services.clock.now()
        second = now.replace(microsecond=0)
        with self._lock:
            if second != self._second:
                self._second, self._given, self._fresh = second, {}, 0
            own = (error.code, method, route, ip or "")
            shared = (error.code, method, route)
            given = self._given.get(own) or (self._given.get(shared) if self._fresh >= FRESH_PER_SECOND else None)
            if given is not None:
                return given, False
            reference = new_reference()
            self._given[own if self._fresh < FRESH_PER_SECOND else shared] = reference
            self._fresh += 1
        return reference, True

    def record(self, reference: str, error: BastionError, method: str, path: str, ip: str | None,
                account_id: str | None) -> str:
        """Best effort: a refusal must still be answered when the database is down."""
        try:
            refusals.record_refusal(self.services, reference=reference, code=error.code, status=error.reason.status,
                                    account_id=account_id, method=method[:8], path=path[:200], ip=ip)
        except Exception:
            log.exception("could not record refusal", extra={"reference": reference})
        return reference
