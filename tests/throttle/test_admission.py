"""The hash admission gate: bounded hashing, known devices first, a fast 429 for the rest."""

from __future__ import annotations

import threading
import time

import pytest

from bastion.errors import BastionError
from bastion.throttle.admission import HashGate


def hold_slot(gate: HashGate, known: bool, release: threading.Event, entered: threading.Event) -> threading.Thread:
    def run() -> None:
        with gate.admit(known):
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_unknown_devices_get_a_fast_rate_limited_when_the_queue_is_full() -> None:
    gate = HashGate(concurrency=1, queue=0)
    release, entered = threading.Event(), threading.Event()
    busy = hold_slot(gate, False, release, entered)
    entered.wait(2)
    started = time.monotonic()
    with pytest.raises(BastionError) as refused:
        with gate.admit(False):
            pass
    assert refused.value.code == "rate_limited" and refused.value.retry_after
    assert time.monotonic() - started < 0.5  # no waiting behind the attack
    release.set()
    busy.join()


def test_known_devices_are_admitted_before_waiting_unknown_ones() -> None:
    gate = HashGate(concurrency=1, queue=10)
    release, entered = threading.Event(), threading.Event()
    busy = hold_slot(gate, False, release, entered)
    entered.wait(2)
    order: list[str] = []

    def waiter(name: str, known: bool) -> None:
        try:
            with gate.admit(known):
                order.append(name)
        except BastionError:
            order.append(f"{name}-refused")

    unknown = threading.Thread(target=waiter, args=("unknown", False))
    unknown.start()
    time.sleep(0.05)  # the unknown request is queued first…
    known = threading.Thread(target=waiter, args=("known", True))
    known.start()
    time.sleep(0.05)
    release.set()
    for thread in (busy, unknown, known):
        thread.join(5)
    assert order[0] == "known"  # …but the known device goes first


def test_never_more_hashes_in_flight_than_the_concurrency() -> None:
    gate = HashGate(concurrency=2, queue=100)
    in_flight, peak, lock = [0], [0], threading.Lock()

    def work() -> None:
        with gate.admit(True):
            with lock:
                in_flight[0] += 1
                peak[0] = max(peak[0], in_flight[0])
            time.sleep(0.01)
            with lock:
                in_flight[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert peak[0] == 2 and gate.admitted == 20


def test_a_known_device_does_not_wait_for_an_unknown_devices_hash_in_progress() -> None:
    gate = HashGate(concurrency=1, queue=0)
    release, entered = threading.Event(), threading.Event()
    attacker = hold_slot(gate, False, release, entered)
    entered.wait(2)
    started = time.monotonic()
    with gate.admit(True):  # the owner's own slot
        assert time.monotonic() - started < 0.5
    with pytest.raises(BastionError):  # another unknown device still finds the slot taken
        with gate.admit(False):
            pass
    release.set()
    attacker.join()


def test_unknown_devices_hash_on_lower_priority_threads_and_known_ones_on_their_own() -> None:
    import os

    gate = HashGate(concurrency=1, queue=10)
    caller = threading.get_native_id()

    def where() -> tuple[int, int]:
        native = threading.get_native_id()
        return native, os.getpriority(os.PRIO_PROCESS, native)

    own_thread, own_nice = gate.run(True, where)
    other_thread, other_nice = gate.run(False, where)
    assert own_thread == caller and other_thread != caller
    assert other_nice > own_nice  # Linux: the nice value of that one thread
    gate.close()
