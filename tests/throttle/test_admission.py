"""The hash admission queue: judged by its expected wait, known devices first, after-answer work never refused."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest

from bastion.errors import BastionError, Reason
from bastion.throttle.admission import (
    AFTER_ANSWER_PATIENCE,
    KNOWN_IN_A_ROW,
    KNOWN_PER_ACCOUNT,
    KNOWN_WAITING_CEILING,
    KNOWN_WAITING_LIMIT,
    HashGate,
    HashTime,
    expected_wait,
)
from tests.in_flight import InFlight


def fixed(seconds: float) -> HashTime:
    """A hash-time estimate that measurements cannot move (the decision is under test, not the EWMA)."""
    return HashTime(initial=seconds, weight=0.0)


def hold_hash(gate: HashGate, known: bool, **options: Any) -> tuple[threading.Thread, threading.Event]:
    """A hash running in `gate` (`gate.run(known, ..., **options)`) until the event returned is set;
    returns once it runs."""
    release, entered = threading.Event(), threading.Event()

    def run() -> None:
        gate.run(known, lambda: (entered.set(), release.wait(5)), **options)

    thread = threading.Thread(target=run)
    thread.start()
    entered.wait(2)
    return thread, release


def queue_in_order(gate: HashGate, calls: list[tuple[Any, ...]], **options: Any) -> list[threading.Thread]:
    """A thread per `gate.run(*call, **options)`, each started once the one before is queued."""
    waiters = []
    for call in calls:
        queued = gate.state()["queued"]
        waiter = threading.Thread(target=gate.run, args=call, kwargs=options)
        waiter.start()
        waiters.append(waiter)
        while gate.state()["queued"] <= queued:  # in its line before the next one comes
            time.sleep(0.001)
    return waiters


@pytest.mark.parametrize("ahead, concurrency, seconds, wait", [
    (0, 1, 0.1, 0.0),   # an idle core: no wait
    (1, 2, 0.1, 0.0),   # one of two cores free
    (1, 1, 0.1, 0.1),   # one hash running: one hash time
    (5, 1, 0.1, 0.5),
    (5, 2, 0.1, 0.2),   # two cores share the four beyond the free one
    (20, 1, 0.1, 2.0),
])
def test_the_expected_wait_is_the_work_ahead_beyond_the_free_cores(ahead, concurrency, seconds, wait) -> None:
    assert expected_wait(ahead, concurrency, seconds) == pytest.approx(wait)


def test_the_door_admits_while_the_expected_wait_fits_the_budget_and_refuses_beyond() -> None:
    gate = HashGate(concurrency=1, budget_seconds=2.0, hash_time=fixed(0.5))
    places = [gate.reserve() for _ in range(5)]  # expected waits 0, 0.5, 1, 1.5, 2: all within 2 s
    assert all(place is not None for place in places)
    assert gate.state()["expected_wait_seconds"] == pytest.approx(2.5)
    assert gate.reserve() is None  # 2.5 s: over the budget
    assert gate.refused["wait_over_budget"] == 1
    with gate.holding(places[0]):
        pass  # that request ended without hashing: its place is free again
    assert gate.reserve() is not None
    gate.close()


def test_a_slower_hash_shortens_the_queue_a_faster_one_lengthens_it() -> None:
    slow = HashGate(concurrency=1, budget_seconds=2.0, hash_time=fixed(1.0))
    fast = HashGate(concurrency=2, budget_seconds=2.0, hash_time=fixed(0.1))
    assert sum(slow.reserve() is not None for _ in range(100)) == 3   # waits 0, 1, 2
    assert sum(fast.reserve() is not None for _ in range(100)) == 42  # 40 beyond the 2 free cores, at 0.05 s
    slow.close()
    fast.close()


def test_the_hash_time_is_measured_with_the_injected_clock() -> None:
    now = [100.0]
    gate = HashGate(concurrency=1, budget_seconds=2.0, hash_time=HashTime(initial=0.1, weight=0.5),
                    clock=lambda: now[0])

    def hash_taking(seconds: float):  # type: ignore[no-untyped-def]
        def work() -> str:
            now[0] += seconds
            return "hashed"
        return work

    assert gate.run(True, hash_taking(0.5)) == "hashed"
    assert gate.hash_time.seconds == pytest.approx(0.3)  # halfway from 0.1 to 0.5
    gate.measure(hash_taking(0.3))
    assert gate.hash_time.seconds == pytest.approx(0.3)
    assert gate.state()["hash_seconds"] == pytest.approx(0.3)
    gate.close()


def test_an_unrecognised_device_without_a_place_is_refused_at_once_when_over_budget() -> None:
    gate = HashGate(concurrency=1, budget_seconds=0.5, hash_time=fixed(1.0))
    busy, release = hold_hash(gate, False)
    started = time.monotonic()
    with pytest.raises(BastionError) as refused:
        gate.run(False, lambda: None)
    assert refused.value.code == Reason.RATE_LIMITED and refused.value.retry_after
    assert time.monotonic() - started < 0.5  # no waiting behind the attack
    assert gate.run(True, lambda: "owner") == "owner"  # a known device has its own slot
    release.set()
    busy.join()
    gate.close()


def test_a_place_taken_at_the_door_is_not_judged_again_and_after_answer_work_is_never_refused() -> None:
    gate = HashGate(concurrency=1, budget_seconds=1.0, hash_time=fixed(1.0))
    place = gate.reserve(after_answer=True)
    assert place is not None
    while gate.reserve() is not None:  # others fill the queue past the budget
        pass
    with pytest.raises(BastionError):
        gate.run(False, lambda: None)  # judged: over the budget
    assert gate.run(False, lambda: "emailed", after_answer=True) == "emailed"
    with gate.holding(place):
        # A sign-up's hash, however its caller names the device, waits in the queue on a low-priority thread.
        assert gate.run(True, threading.get_native_id) != threading.get_native_id()
    gate.close()


def test_known_devices_are_admitted_before_waiting_unknown_ones() -> None:
    gate = HashGate(concurrency=1, budget_seconds=10.0, hash_time=fixed(0.01))
    busy, release = hold_hash(gate, False)
    order: list[str] = []

    def waiter(name: str, known: bool) -> None:
        gate.run(known, lambda: order.append(name))

    unknown = threading.Thread(target=waiter, args=("unknown", False))
    unknown.start()
    time.sleep(0.05)  # the unknown request is queued first…
    known = threading.Thread(target=waiter, args=("known", True))
    known.start()
    time.sleep(0.05)
    release.set()
    for thread in (busy, unknown, known):
        thread.join(5)
    assert order == ["known", "unknown"]  # …but the known device goes first
    gate.close()


def test_unrecognised_devices_are_served_in_arrival_order() -> None:
    gate = HashGate(concurrency=1, budget_seconds=10.0, hash_time=fixed(0.01))
    busy, release = hold_hash(gate, False)
    order: list[int] = []
    waiters = []
    for number in range(5):
        waiter = threading.Thread(target=gate.run, args=(False, lambda n=number: order.append(n)))
        waiter.start()
        waiters.append(waiter)
        time.sleep(0.03)
    release.set()
    for thread in (busy, *waiters):
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]
    gate.close()


def test_never_more_hashes_in_flight_than_the_concurrency() -> None:
    gate = HashGate(concurrency=2, budget_seconds=10.0, hash_time=fixed(0.01))
    in_flight = InFlight()
    threads = [threading.Thread(target=gate.run, args=(False, lambda: in_flight.hold(0.01))) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert in_flight.most == 2 and gate.admitted == 20
    assert gate.state()["queued"] == 0 and gate.state()["running"] == 0
    gate.close()


def test_unknown_devices_hash_on_lower_priority_threads_and_known_ones_on_their_own() -> None:
    gate = HashGate(concurrency=1, budget_seconds=2.0)
    caller = threading.get_native_id()

    def where() -> tuple[int, int]:
        native = threading.get_native_id()
        return native, os.getpriority(os.PRIO_PROCESS, native)

    own_thread, own_nice = gate.run(True, where)
    other_thread, other_nice = gate.run(False, where)
    assert own_thread == caller and other_thread != caller
    assert other_nice > own_nice  # Linux: the nice value of that one thread
    gate.close()


def test_work_after_its_answer_never_lengthens_the_wait_of_the_people_still_waiting() -> None:
    """Issue 19: a sign-up's hash is in the same queue but never blocks the door for the next person."""
    gate = HashGate(concurrency=1, budget_seconds=2.0, hash_time=fixed(0.5))
    # Sign-ups are judged by everything queued (their own line too): at most two budgets of them.
    assert sum(gate.reserve(after_answer=True) is not None for _ in range(100)) == 9  # waits 0 .. 4 s
    assert gate.state()["expected_wait_seconds"] == 0 and gate.state()["queued"] == 9
    assert sum(gate.reserve() is not None for _ in range(100)) == 5  # as on an empty queue: waits 0 .. 2 s
    assert gate.reserve(after_answer=True) is None
    gate.close()


def test_people_go_before_earlier_work_after_its_answer_until_it_has_waited_its_patience() -> None:
    now = [0.0]
    gate = HashGate(concurrency=1, budget_seconds=60.0, hash_time=fixed(0.01), clock=lambda: now[0])
    busy, release = hold_hash(gate, False)
    order: list[str] = []

    def queue(name: str, after_answer: bool) -> threading.Thread:
        thread = threading.Thread(target=gate.run, args=(False, lambda: order.append(name)),
                                  kwargs={"after_answer": after_answer})
        thread.start()
        time.sleep(0.05)
        return thread

    waiting = [queue("sign-up", True), queue("person", False)]
    release.set()
    for thread in (busy, *waiting):
        thread.join(5)
    assert order == ["person", "sign-up"]

    order.clear()
    busy, release = hold_hash(gate, False)
    waiting = [queue("sign-up", True)]
    now[0] += AFTER_ANSWER_PATIENCE  # it has waited long enough: it goes before those who come now…
    waiting.append(queue("person", False))
    # …and those who come later count it ahead of them: the hash running, the sign-up, the person
    assert gate.state()["expected_wait_seconds"] == pytest.approx(0.03)
    release.set()
    for thread in (busy, *waiting):
        thread.join(5)
    assert order == ["sign-up", "person"]
    gate.close()


def test_the_queue_never_holds_more_than_its_limit_however_fast_the_hash() -> None:
    """What waits holds a worker thread: a fast hash would let the time budget admit more than the pool."""
    gate = HashGate(concurrency=1, budget_seconds=1000.0, hash_time=fixed(0.001), queued_limit=3)
    assert sum(gate.reserve() is not None for _ in range(10)) == 3
    assert gate.reserve(after_answer=True) is None
    with pytest.raises(BastionError):
        gate.run(False, lambda: None)  # an unrecognised device without a place: judged by the same limit
    assert gate.refused["queue_full"] == 9
    assert gate.run(True, lambda: "owner") == "owner"  # a known device keeps its own way in
    gate.close()


def test_a_long_mixed_queue_is_served_whole_each_line_in_its_order() -> None:
    """Each waiter is woken alone when its turn comes: none is left behind, and no line jumps its order."""
    gate = HashGate(concurrency=1, budget_seconds=100.0, hash_time=fixed(0.001))
    held, release = hold_hash(gate, True)
    busy = [held]
    served: list[tuple[str, int]] = []
    kinds = {"known": {"known_device": True}, "person": {"known_device": False},
             "sign-up": {"known_device": False, "after_answer": True}}
    waiters = []
    for number in range(36):
        kind = list(kinds)[number % 3]
        options = kinds[kind]
        waiters += queue_in_order(gate, [(options["known_device"], lambda k=kind, n=number: served.append((k, n)))],
                                  after_answer=options.get("after_answer", False))
    release.set()
    for thread in (*busy, *waiters):
        thread.join(5)
    assert len(served) == 36 and gate.state()["queued"] == 0 and gate.state()["running"] == 0
    for kind in ("person", "sign-up"):
        numbers = [number for name, number in served if name == kind]
        assert numbers == sorted(numbers)
    gate.close()


def test_known_devices_waiting_beyond_their_limit_queue_with_the_unrecognised() -> None:
    """However the devices were come by (an attacker's own accounts), their waiters never take every
    thread: past the limit a known device queues with the unrecognised (refused here, over the
    budget), unless its account has none in flight — an owner, up to the ceiling."""
    gate = HashGate(concurrency=1, budget_seconds=0.05, hash_time=fixed(0.1))
    busy, release = hold_hash(gate, True, account="attacker-0")
    waiters: list[threading.Thread] = []
    for number in range(KNOWN_WAITING_LIMIT):  # the attacker's accounts, one sign-in each
        waiters += queue_in_order(gate, [(True, lambda: None)], account=f"attacker-{number}")
    with pytest.raises(BastionError):  # a second from one of them: with the unrecognised, over the budget
        gate.run(True, lambda: None, account="attacker-1")
    assert gate.refused == {"known_queue_full": 1, "wait_over_budget": 1}
    gate.refused.clear()
    owners = [f"owner-{number}" for number in range(KNOWN_WAITING_CEILING - KNOWN_WAITING_LIMIT)]
    for owner in owners:  # none in flight: a known place each, up to the ceiling
        waiters += queue_in_order(gate, [(True, lambda: None)], account=owner)
    assert gate.refused == {}
    with pytest.raises(BastionError):
        gate.run(True, lambda: None, account="one-owner-too-many")
    assert gate.refused == {"known_queue_full": 1, "wait_over_budget": 1}
    release.set()
    for thread in (busy, *waiters):
        thread.join(5)
    assert gate.admitted == 1 + len(waiters)
    gate.close()


def test_a_stream_of_known_devices_slows_the_line_but_never_stops_it() -> None:
    gate = HashGate(concurrency=1, budget_seconds=100.0, hash_time=fixed(0.001))
    busy, release = hold_hash(gate, True)
    order: list[str] = []

    def hashed(name: str, seconds: float) -> None:
        time.sleep(seconds)  # a known device's hash takes a while; the person's is told at once
        order.append(name)

    people = [("person", False)] + [("known", True)] * (2 * KNOWN_IN_A_ROW)
    waiters = queue_in_order(gate, [(known, lambda n=name, k=known: hashed(n, 0.02 * k)) for name, known in people])
    release.set()
    for thread in (busy, *waiters):
        thread.join(5)
    assert order.index("person") == KNOWN_IN_A_ROW  # after KNOWN_IN_A_ROW known devices, however many more wait
    assert len(order) == 1 + 2 * KNOWN_IN_A_ROW
    gate.close()


def test_a_person_is_admitted_while_known_devices_wait_since_they_go_before_only_a_few() -> None:
    gate = HashGate(concurrency=1, budget_seconds=2.0, hash_time=fixed(0.3))
    busy, release = hold_hash(gate, True)
    waiters = queue_in_order(gate, [(True, lambda: None)] * 20)
    # Before the newcomer: the hash running and KNOWN_IN_A_ROW known devices, not all twenty.
    assert gate.state()["expected_wait_seconds"] == pytest.approx((1 + KNOWN_IN_A_ROW) * 0.3)
    assert gate.reserve() is not None
    release.set()
    for thread in (busy, *waiters):
        thread.join(5)
    gate.close()


def test_known_devices_are_served_in_arrival_order() -> None:
    """Each is woken for its own turn and keeps its place: none waits while later ones go."""
    gate = HashGate(concurrency=1, budget_seconds=10.0, hash_time=fixed(0.01))
    busy, release = hold_hash(gate, True)
    order: list[int] = []
    waiters = queue_in_order(gate, [(True, lambda n=number: order.append(n)) for number in range(8)])
    release.set()
    for thread in (busy, *waiters):
        thread.join(5)
    assert order == list(range(8))
    gate.close()


def test_an_accounts_known_devices_take_only_their_share_of_the_known_places() -> None:
    """An account of the attacker's own, however many device identifiers it collected: its next
    known device is judged with the unrecognised (refused here, over the budget) while the owner's
    known device on another account still takes a known place and goes first."""
    gate = HashGate(concurrency=1, budget_seconds=0.05, hash_time=fixed(0.1))
    busy, release = hold_hash(gate, True, account="attacker")
    waiters = queue_in_order(gate, [(True, lambda: None)] * (KNOWN_PER_ACCOUNT - 1), account="attacker")
    with pytest.raises(BastionError):
        gate.run(True, lambda: None, account="attacker")
    assert gate.refused == {"account_in_flight": 1, "wait_over_budget": 1}
    owners = queue_in_order(gate, [(True, lambda: None)], account="owner")
    release.set()
    for thread in (busy, *waiters, *owners):
        thread.join(5)
    assert gate.admitted == KNOWN_PER_ACCOUNT + 1
    gate.run(True, lambda: None, account="attacker")  # none in flight now: a known place again
    assert gate.refused["account_in_flight"] == 1
    gate.close()


def test_an_accounts_known_device_beyond_its_share_is_served_in_line_when_there_is_room() -> None:
    """A person signing in from three devices at once: the third waits with the unrecognised, and is let in."""
    gate = HashGate(concurrency=1, budget_seconds=10.0, hash_time=fixed(0.01))
    busy, release = hold_hash(gate, True, account="person")
    order: list[int] = []
    waiters = queue_in_order(gate, [(True, lambda n=number: order.append(n)) for number in range(3)], account="person")
    assert gate.state()["queued"] == 3 and gate.refused == {"account_in_flight": 2}
    release.set()
    for thread in (busy, *waiters):
        thread.join(5)
    assert sorted(order) == [0, 1, 2] and gate.admitted == 4
    gate.close()


def test_an_established_device_waits_as_known_past_the_ceiling_and_goes_before_recent_ones() -> None:
    """Sixty accounts of the attacker's own, each with a sign-in in flight, filled every known place:
    the owner's phone, signed in to its account for weeks, queued with the unrecognised and was
    refused. Devices a week old or more still wait as known (to the queue's limit), first."""
    gate = HashGate(concurrency=1, budget_seconds=0.05, hash_time=fixed(0.1))
    busy, release = hold_hash(gate, True, account="attacker-0")
    order: list[str] = []
    waiters: list[threading.Thread] = []
    for number in range(KNOWN_WAITING_CEILING):  # the attacker's recent accounts fill the known places
        waiters += queue_in_order(gate, [(True, lambda n=number: order.append(f"attacker-{n}"))],
                                  account=f"attacker-{number + 1}")
    with pytest.raises(BastionError):  # a recent device of yet another account: with the unrecognised, refused
        gate.run(True, lambda: None, account="recent-owner")
    assert gate.refused == {"known_queue_full": 1, "wait_over_budget": 1}
    owners = [queue_in_order(gate, [(True, lambda n=number: order.append(f"owner-{n}"))], account=f"owner-{number}",
                             established=True) for number in range(2)]
    assert gate.refused == {"known_queue_full": 1, "wait_over_budget": 1}  # no more refusals
    release.set()
    for thread in (busy, *waiters, *(thread for threads in owners for thread in threads)):
        thread.join(5)
    assert order[:2] == ["owner-0", "owner-1"] and len(order) == KNOWN_WAITING_CEILING + 2
    gate.close()


def test_established_devices_never_hold_more_than_the_queues_limit() -> None:
    gate = HashGate(concurrency=1, budget_seconds=0.05, hash_time=fixed(0.1), queued_limit=6)
    busy, release = hold_hash(gate, True, account="busy")
    waiters = []
    for number in range(6):
        waiters += queue_in_order(gate, [(True, lambda: None)], account=f"owner-{number}", established=True)
    with pytest.raises(BastionError):
        gate.run(True, lambda: None, account="one-too-many", established=True)
    assert gate.refused["known_queue_full"] == 1
    release.set()
    for thread in (busy, *waiters):
        thread.join(5)
    gate.close()
