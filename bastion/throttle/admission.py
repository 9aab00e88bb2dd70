"""Admission control for password hashing, per process.

Per-IP limits do not protect the CPU from a distributed attack: 1,000 addresses ×
50 tries per 10 min is ~80 hashes/s, more than two cores compute at sound argon2
parameters. So at most `concurrency` hashes run at once and at most `queue` wait;
requests from known devices go first and may wait longer, while an unknown one that
finds the queue full (or waits too long) gets a fast 429 `rate_limited` instead of
waiting behind the attack.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bastion.errors import BastionError

UNKNOWN_WAIT = 1.0  # seconds an unknown device may wait for a hashing slot
KNOWN_WAIT = 10.0
RETRY_AFTER = 2


class HashGate:
    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency = max(1, concurrency)
        self.queue = queue
        self._cond = threading.Condition()
        self._in_flight = 0
        self._waiting = {True: 0, False: 0}
        self.refused = 0
        self.admitted = 0

    @contextmanager
    def admit(self, known_device: bool) -> Iterator[None]:
        self._enter(known_device)
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify_all()

    def _enter(self, known: bool) -> None:
        deadline = time.monotonic() + (KNOWN_WAIT if known else UNKNOWN_WAIT)
        with self._cond:
            if not self._free(known) and not known and self._waiting[False] + self._waiting[True] >= self.queue:
                self._refuse()
            self._waiting[known] += 1
            try:
                while not self._free(known):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self._refuse()
                    self._cond.wait(remaining)
            finally:
                self._waiting[known] -= 1
            self._in_flight += 1
            self.admitted += 1

    def _free(self, known: bool) -> bool:
        # Known devices never wait behind unknown ones.
        return self._in_flight < self.concurrency and (known or self._waiting[True] == 0)

    def _refuse(self) -> None:
        self.refused += 1
        raise BastionError("rate_limited", detail="Sign-in is very busy right now. Please try again in a moment.",
                           retry_after=RETRY_AFTER)
