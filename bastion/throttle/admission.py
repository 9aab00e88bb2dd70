"""Admission control for password hashing: one queue per process, judged by its expected wait.

Known devices have slots of their own and go first; other work is admitted while its expected wait
fits in BASTION_SIGNIN_QUEUE_SECONDS, else it gets a fast 429 `rate_limited`. Work done after its
answer (a sign-up's hash) goes after the people still waiting for theirs, until it has waited
AFTER_ANSWER_PATIENCE. The reasoning: docs/design/sign-in-admission.md.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from bastion.errors import BastionError, Reason
from bastion.i18n import N_, _
from bastion.metrics import ADMISSION_REFUSED, count_hash, publish_admission
from bastion.throttle.hash_time import HashTime, expected_wait

log = logging.getLogger("bastion.throttle")
T = TypeVar("T")

KNOWN_WAIT = 10.0  # seconds a known device may wait for one of its own slots
# An admitted request whose estimate proved wrong (e.g. a burst of known devices went first)
# gives up after this many budgets rather than hold its thread indefinitely.
PATIENCE_BUDGETS = 3
RETRY_AFTER = 2
# Work after its answer waits behind people at most this long, then goes before those who came later:
# under a flood, a sign-up's confirmation email is late, never lost.
AFTER_ANSWER_PATIENCE = 30.0
# A sign-up is admitted while everything queued fits this many budgets: nobody waits for its hash,
# and the bound is on the work (and threads) it holds, not on anyone's wait.
AFTER_ANSWER_BUDGETS = 2
# Sync routes run on this many threads (bastion/web/app.py); what waits for a hash holds one of
# them, so the queue never holds more than half: however fast the hash, the rest keep serving.
WORKER_THREADS = 100
QUEUED_LIMIT = WORKER_THREADS // 2
# Known devices waiting at once, beyond which only an account with none in flight gets one more
# known place (a person has a sign-in or two in flight, so more is a flood, however its devices
# were come by: an attacker's own accounts); the rest queue with the unrecognised. Up to the
# ceiling, an owner is never turned away by a dozen accounts the attacker made; past it, nobody
# more waits as known, and the line keeps a quarter of the places.
KNOWN_WAITING_LIMIT = QUEUED_LIMIT // 2
KNOWN_WAITING_CEILING = QUEUED_LIMIT * 3 // 4
# Hashes known devices may start in a row while someone waits in line; then the next in line goes,
# so a stream of known devices (an attacker's own) slows the people down but never stops them.
KNOWN_IN_A_ROW = 4
# Known-device hashes one account may have waiting or running at once; its next queues with the
# unrecognised devices' (served while there is room). A person signs in from a device or two at a
# time; an account of the attacker's own, whatever number of device identifiers it collected,
# holds no more of the known devices' places than that.
KNOWN_PER_ACCOUNT = 2
# A device that first signed in to its account this long ago is established: under a flood its
# sign-ins wait as known past the ceiling (up to the queue's own limit), ahead of devices more
# recent. An attacker's accounts made for the flood, and the devices they collected for them, are
# recent: to stand with an owner's phone they must have been signed in to a week before.
ESTABLISHED_DEVICE_DAYS = 7
BUSY = N_("Sign-in is very busy right now. Please try again in a moment.")
# Nice value of the threads that hash for unrecognised devices: a tenth of the CPU weight of an owner's.
UNKNOWN_NICENESS = 10


def _lower_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), UNKNOWN_NICENESS)
    except (AttributeError, OSError) as error:  # not Linux, or not allowed: same priority as the rest
        log.info("hash threads for unknown devices keep the normal priority", extra={"error": str(error)})


@dataclass(eq=False)
class Place:
    """A request's place in the queue, reserved at the door."""

    after_answer: bool  # its hash runs once the answer has gone: never refused
    pending: bool = True  # counted as queued until its first hash starts or the request ends


@dataclass(eq=False)
class _Turn:
    """One waiter in a line, woken alone when it is its turn (never the whole line at every hash)."""

    wake: threading.Condition
    queued_at: float
    established: bool = False  # a known device's: see ESTABLISHED_DEVICE_DAYS


_place: ContextVar[Place | None] = ContextVar("bastion_hash_place", default=None)


class HashGate:
    def __init__(self, concurrency: int, budget_seconds: float, hash_time: HashTime | None = None,
                 clock: Callable[[], float] = time.monotonic, queued_limit: int = QUEUED_LIMIT) -> None:
        self.concurrency = max(1, concurrency)
        self.budget = budget_seconds
        self.hash_time = hash_time or HashTime()
        self.queued_limit = queued_limit
        self._clock = clock
        self._lock = threading.Lock()
        self._known: deque[_Turn] = deque()  # known devices waiting for one of their slots, in arrival order
        self._known_of: Counter[str] = Counter()  # per account: its known devices' hashes waiting or running
        self._running = {True: 0, False: 0}
        self._known_in_a_row = 0  # known devices' hashes started since the line last moved, while it waited
        self._line: deque[_Turn] = deque()  # people on unrecognised devices, in arrival order
        self._later: deque[_Turn] = deque()  # after-answer work, in arrival order
        self._reserved = {False: 0, True: 0}  # places taken at the door: people's, after-answer work's
        self.admitted = 0
        self.refused: Counter[str] = Counter()
        self._unknown_threads = ThreadPoolExecutor(self.concurrency, thread_name_prefix="hash-unknown-device",
                                                   initializer=_lower_priority)

    # The door ----------------------------------------------------------------------------------

    def reserve(self, after_answer: bool = False) -> Place | None:
        """A place for a request from an unrecognised device, or None (counted as refused) when
        the wait it can expect is over the budget. Work after its answer is judged by everything
        queued, its own line too, against AFTER_ANSWER_BUDGETS budgets: however many sign-ups come,
        they never hold more work (nor threads) than that, and a flood of them is refused like any other."""
        with self._lock:
            reason = self._refusal(after_answer)
            if reason is not None:
                self._count_refusal(reason)
                return None
            self._reserved[after_answer] += 1
            self._publish()
            return Place(after_answer)

    def refusal(self, after_answer: bool = False) -> str | None:
        """Why `reserve` would refuse now (not counted), or None: the door asks before it reads a body."""
        with self._lock:
            return self._refusal(after_answer)

    def _refusal(self, after_answer: bool) -> str | None:
        if self._queued() >= self.queued_limit:
            return "queue_full"
        if self._expected_wait(everything=after_answer) > self.budget * (AFTER_ANSWER_BUDGETS if after_answer else 1):
            return "wait_over_budget"
        return None

    @contextmanager
    def holding(self, place: Place) -> Iterator[None]:
        """While the request runs, its hash takes `place`; the place is given back at the end
        if the request never hashed (refused before, or answered from elsewhere)."""
        token = _place.set(place)
        try:
            yield
        finally:
            _place.reset(token)
            with self._lock:
                self._take(place)

    def count_refusal(self, reason: str) -> None:
        with self._lock:
            self._count_refusal(reason)

    # The hash ----------------------------------------------------------------------------------

    def run(self, known_device: bool, hash_work: Callable[[], T], after_answer: bool = False,
            account: str | None = None, established: bool = False) -> T:
        """`hash_work` once its turn comes: on the calling thread for a known device, else on a
        low-priority one. `after_answer`: the answer has gone already, so never refuse it. A
        request the door placed as a sign-up waits in the queue, never refused, whatever the
        caller says of the device: the door let it in as an unrecognised visitor's. `account`: the
        account a known device signs in to, held to KNOWN_PER_ACCOUNT of the known devices' places;
        `established`: the known device first signed in to it ESTABLISHED_DEVICE_DAYS ago or more."""
        known = self._enter(known_device, after_answer, account, established)
        try:
            if known:
                return self._timed(hash_work)
            return self._unknown_threads.submit(self._timed, hash_work).result()
        finally:
            with self._lock:
                self._running[known] -= 1
                if known:
                    self._leave_account(account)
                self._publish()
                self._wake_next()

    def check_room(self, known_device: bool) -> None:
        """Refuse now (`rate_limited`) what `run` would refuse for want of room, before the caller
        does any work for it: a flood of device identifiers no account knows is then turned away
        without a write each (a sign-in attempt counted, then taken back)."""
        if known_device or _place.get() is not None:
            return
        with self._lock:
            self._refuse_if_full()

    def measure(self, hash_work: Callable[[], object]) -> None:
        """Time one hash outside the queue (at start-up), so the first estimates are this machine's."""
        self._timed(hash_work)

    def state(self) -> dict[str, float]:
        """For operators: what waits, what runs, and what an unrecognised device would wait now."""
        with self._lock:
            return {"queued": self._queued(),
                    "running": self._running[True] + self._running[False],
                    "expected_wait_seconds": round(self._expected_wait(), 4),
                    "hash_seconds": round(self.hash_time.seconds, 4), "budget_seconds": self.budget}

    def publish(self) -> None:
        """This queue's state into the process's metrics (they follow every change; a scrape asks too)."""
        with self._lock:
            self._publish()

    def close(self) -> None:
        self._unknown_threads.shutdown(wait=False)

    def _enter(self, known: bool, after_answer: bool, account: str | None, established: bool = False) -> bool:
        """Admitted to run (the lane it runs in: known or not), or refused."""
        place = _place.get()
        with self._lock:
            if place is not None:
                self._take(place)  # admitted at the door: judged once
                if place.after_answer:
                    known, after_answer = False, True
            elif known and account is not None and self._known_of[account] >= KNOWN_PER_ACCOUNT:
                self._count_refusal("account_in_flight")  # not refused: it queues with the unrecognised
                known = False
            elif known and self._known_lane_full(account, established):
                self._count_refusal("known_queue_full")  # so does this one
                known = False
            if place is None and not known and not after_answer:
                self._refuse_if_full()
            if known:
                if account is not None:
                    self._known_of[account] += 1
                try:
                    self._wait_for_own_slot(established)
                except BaseException:
                    self._leave_account(account)
                    raise
            elif after_answer:
                self._wait_in_line(self._later, None)
            else:
                self._wait_in_line(self._line, self._clock() + PATIENCE_BUDGETS * self.budget)
            self._running[known] += 1
            self._known_in_a_row = self._known_in_a_row + 1 if known and self._next_in_line() else 0
            self.admitted += 1
            self._publish()
            self._wake_next()  # with cores to spare, the next may go too
            return known

    def _refuse_if_full(self) -> None:
        """For an unrecognised device without a place from the door: the queue full, or its wait over budget."""
        if self._queued() >= self.queued_limit:
            self._count_refusal("queue_full")
            raise _busy()
        if self._expected_wait() > self.budget:
            self._count_refusal("wait_over_budget")
            raise _busy()

    def _known_lane_full(self, account: str | None, established: bool) -> bool:
        waiting = len(self._known)
        if established:  # its account has at most one other in flight (KNOWN_PER_ACCOUNT)
            return waiting >= self.queued_limit
        if waiting >= KNOWN_WAITING_CEILING:
            return True
        return waiting >= KNOWN_WAITING_LIMIT and (account is None or self._known_of[account] > 0)

    def _leave_account(self, account: str | None) -> None:
        if account is not None:
            self._known_of[account] -= 1
            if not self._known_of[account]:
                del self._known_of[account]

    def _wait_for_own_slot(self, established: bool) -> None:
        """Wait, in arrival order, for one of the known devices' slots: a newcomer never takes the
        slot of one woken for it (a turn kept in a condition's own queue would go to its back) —
        but an established device's turn goes ahead of every more recent one's."""
        deadline = self._clock() + KNOWN_WAIT
        turn = _Turn(threading.Condition(self._lock), self._clock(), established)
        if established:
            self._known.insert(next((index for index, waiting in enumerate(self._known) if not waiting.established),
                                    len(self._known)), turn)
        else:
            self._known.append(turn)
        try:
            while not (self._known[0] is turn and self._running[True] < self.concurrency and not self._lines_turn()):
                self._wait_until(turn.wake, deadline, "known_wait_exceeded")
        except BaseException:
            self._known.remove(turn)
            self._wake_next()  # gone at its patience's end: the next may go
            raise
        self._known.remove(turn)  # its turn: `_enter` wakes the next once it runs

    def _wait_in_line(self, line: deque[_Turn], deadline: float | None) -> None:
        """Wait in `line` (people's or after-answer work's) until this turn is the next to hash and a core is free."""
        turn = _Turn(threading.Condition(self._lock), self._clock())
        line.append(turn)
        self._publish()
        try:
            while not (self._next_in_line() is turn and self._may_start_next()):
                self._wake_next()  # woken for a turn no longer its own (work behind came of age): pass it on
                self._wait_until(turn.wake, deadline, "wait_exceeded")
        finally:
            line.remove(turn)
            self._wake_next()  # the next in line may be free to go

    def _may_start_next(self) -> bool:
        return ((not self._known or self._lines_turn())
                and self._running[True] + self._running[False] < self.concurrency)

    def _lines_turn(self) -> bool:
        """Known devices have had KNOWN_IN_A_ROW hashes while someone waited in line: the line's turn."""
        return self._known_in_a_row >= KNOWN_IN_A_ROW and self._next_in_line() is not None

    def _next_in_line(self) -> _Turn | None:
        """After-answer work that has waited its patience, else the first person, else after-answer work."""
        if self._later and (not self._line or self._aged(self._later[0])):
            return self._later[0]
        return self._line[0] if self._line else None

    def _wake_next(self) -> None:
        """Wake the one waiter that may go now, if any: at every hash's end, waking them all would
        cost each a thread switch (and, under a flood, a line's length of them per hash)."""
        if self._known and not self._lines_turn():
            if self._running[True] < self.concurrency:
                self._known[0].wake.notify()
        elif self._may_start_next():
            turn = self._next_in_line()
            if turn is not None:
                turn.wake.notify()

    def _aged(self, turn: _Turn) -> bool:
        return self._clock() - turn.queued_at >= AFTER_ANSWER_PATIENCE

    def _wait_until(self, wake: threading.Condition, deadline: float | None, reason: str) -> None:
        timeout = None
        if deadline is not None:
            timeout = deadline - self._clock()
            if timeout <= 0:
                self._count_refusal(reason)
                raise _busy()
        wake.wait(timeout)

    def _timed(self, hash_work: Callable[[], T]) -> T:
        started, cpu_started = self._clock(), time.thread_time()
        result = hash_work()
        count_hash(time.thread_time() - cpu_started)
        with self._lock:
            self.hash_time.observe(self._clock() - started)
        return result

    def _take(self, place: Place) -> None:
        if place.pending:
            place.pending = False
            self._reserved[place.after_answer] -= 1
            self._publish()

    def _queued(self) -> int:
        return self._reserved[False] + self._reserved[True] + len(self._known) + len(self._line) + len(self._later)

    def _expected_wait(self, everything: bool = False) -> float:
        """For a person arriving now: what runs, and what would go before them — the people ahead,
        after-answer work come of age (the rest waits behind them), and known devices, of which at
        most KNOWN_IN_A_ROW go before each of those and before the newcomer. `everything`: all that
        is queued, after-answer work too."""
        if everything:
            others = self._queued() - len(self._known)
        else:
            others = self._reserved[False] + len(self._line)
            for entry in self._later:
                if not self._aged(entry):
                    break
                others += 1
        known = min(len(self._known), (others + 1) * KNOWN_IN_A_ROW)
        ahead = others + known + self._running[True] + self._running[False]
        return expected_wait(ahead, self.concurrency, self.hash_time.seconds)

    def _count_refusal(self, reason: str) -> None:
        self.refused[reason] += 1
        ADMISSION_REFUSED.labels(reason).inc()

    def _publish(self) -> None:
        publish_admission(self._queued(),
                          self._running[True] + self._running[False], self._expected_wait(), self.hash_time.seconds)


def _busy() -> BastionError:
    return BastionError(Reason.RATE_LIMITED, detail=_(BUSY), retry_after=RETRY_AFTER)
