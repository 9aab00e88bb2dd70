"""Admission control for password hashing, per process.

Per-IP limits do not protect the CPU from a distributed attack: 1,000 addresses ×
50 tries per 10 min is ~80 hashes/s, more than two cores compute at sound argon2
parameters. So at most `concurrency` hashes for unknown devices run at once and at
most `queue` wait; an unknown device that finds the queue full (or waits too long)
gets a fast 429 `rate_limited` instead of waiting behind the attack.

Devices that signed in before have `concurrency` slots of their own, so an owner
never waits for an attacker's hash to finish, and the attacker's hashes run on
threads of lower scheduling priority (Linux: per-thread nice), so while both run
the owner's gets the core (issue 3's benchmark: the owner signs in under a flood).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from bastion.errors import BastionError

log = logging.getLogger("bastion.throttle")
T = TypeVar("T")

UNKNOWN_WAIT = 1.0  # seconds an unknown device may wait for a hashing slot
KNOWN_WAIT = 10.0
RETRY_AFTER = 2
# Nice value of the threads that hash for unknown devices: a tenth of the CPU weight of an owner's.
UNKNOWN_NICENESS = 10


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), UNKNOWN_NICENESS)
    except (AttributeError, OSError) as error:  # not Linux, or not allowed: same priority as the rest
        log.info("hash threads for unknown devices keep the normal priority", extra={"error": str(error)})


class HashGate:
    def __init__(self, concurrency: int, queue: int) -> None:
        self.concurrency = max(1, concurrency)
        self.queue = queue
        self._cond = threading.Condition()
        self._in_flight = {True: 0, False: 0}
        self._waiting = {True: 0, False: 0}
        self.refused = 0
        self.admitted = 0
        self._unknown_threads = ThreadPoolExecutor(self.concurrency, thread_name_prefix="hash-unknown-device",
                                                   initializer=_lower_priority)

    def run(self, known_device: bool, hash_work: Callable[[], T]) -> T:
        """`hash_work` once admitted: on the calling thread for a known device, else on a low-priority one."""
        with self.admit(known_device):
            if known_device:
                return hash_work()
            return self._unknown_threads.submit(hash_work).result()

    @contextmanager
    def admit(self, known_device: bool) -> Iterator[None]:
        self._enter(known_device)
        try:
            yield
        finally:
            with self._cond:
                self._in_flight[known_device] -= 1
                self._cond.notify_all()

    def close(self) -> None:
        self._unknown_threads.shutdown(wait=False)

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
            self._in_flight[known] += 1
            self.admitted += 1

    def _free(self, known: bool) -> bool:
        if known:  # slots of their own: never behind an unknown device's hash, running or waiting
            return self._in_flight[True] < self.concurrency
        return self._in_flight[True] + self._in_flight[False] < self.concurrency and self._waiting[True] == 0

    def _refuse(self) -> None:
        self.refused += 1
        raise BastionError("rate_limited", detail="Sign-in is very busy right now. Please try again in a moment.",
                           retry_after=RETRY_AFTER)
